import Raft
import TestSupport
import MVCC
import Testing

/// The primary lessor against a plain model (a dictionary of leases with expiry times) over thousands of random
/// grants, renewals, revokes, attaches, detaches and clock steps; expired leases are revoked as soon as they are
/// reported, as the server's proposals would.
@Suite struct LessorModelTests {
  private struct ModelLease {
    var ttl: Int64
    var expiry: Int64  // milliseconds
    var keys: Set<[UInt8]>
  }

  @Test(arguments: [11, 12, 13] as [UInt64])
  func randomUseMatchesTheModel(seed: UInt64) throws {
    var generator = SplitMix64(seed: seed)
    let lessor = Lessor(minimumTTL: 2, idGenerator: SplitMix64(seed: seed + 100))
    lessor.promote(now: .zero)
    var model: [LeaseID: ModelLease] = [:]
    var nowMs: Int64 = 0
    var reported = 0
    let keys = (0..<20).map { Array("key\($0)".utf8) }
    for step in 0..<4_000 {
      let now = Duration.milliseconds(nowMs)
      let id = LeaseID.random(in: 1...40, using: &generator)
      switch Int.random(in: 0..<7, using: &generator) {
      case 0, 1:
        let ttl = Int64.random(in: 0...12, using: &generator)
        if model[id] != nil {
          #expect(throws: MVCCError.leaseExists(id: id)) { try lessor.grant(id: id, ttl: ttl, now: now) }
        } else {
          let granted = max(ttl, 2)
          #expect(try lessor.grant(id: id, ttl: ttl, now: now) == LeaseRecord(id: id, ttl: granted))
          model[id] = ModelLease(ttl: granted, expiry: nowMs + granted * 1_000, keys: [])
        }
      case 2:
        if let lease = model[id] {
          if lease.expiry <= nowMs {
            #expect(throws: MVCCError.leaseExpired(id: id)) { try lessor.renew(id: id, now: now) }
          } else {
            #expect(try lessor.renew(id: id, now: now) == lease.ttl)
            model[id]!.expiry = nowMs + lease.ttl * 1_000
          }
        } else {
          #expect(throws: MVCCError.leaseNotFound(id: id)) { try lessor.renew(id: id, now: now) }
        }
      case 3:
        if let lease = model.removeValue(forKey: id) {
          #expect(try lessor.revoke(id: id) == lease.keys.sorted { $0.lexicographicallyPrecedes($1) })
        } else {
          #expect(throws: MVCCError.leaseNotFound(id: id)) { try lessor.revoke(id: id) }
        }
      case 4:
        let key = keys.randomElement(using: &generator)!
        if model[id] != nil {
          try lessor.attach(key, to: id)
          for other in model.keys { model[other]!.keys.remove(key) }
          model[id]!.keys.insert(key)
        } else {
          #expect(throws: MVCCError.leaseNotFound(id: id)) { try lessor.attach(key, to: id) }
        }
      case 5:
        let key = keys.randomElement(using: &generator)!
        if model[id] != nil {
          try lessor.detach(key, from: id)
          model[id]!.keys.remove(key)
        } else {
          #expect(throws: MVCCError.leaseNotFound(id: id)) { try lessor.detach(key, from: id) }
        }
      default:
        nowMs += Int64.random(in: 0...1_500, using: &generator)
        let now = Duration.milliseconds(nowMs)
        let expected = model.filter { $0.value.expiry <= nowMs }
          .sorted { $0.value.expiry != $1.value.expiry ? $0.value.expiry < $1.value.expiry : $0.key < $1.key }
          .map(\.key)
        let expired = lessor.expired(now: now, limit: .max)
        #expect(expired == expected, "step \(step) at \(nowMs) ms")
        for id in expired {
          _ = try lessor.revoke(id: id)
          model[id] = nil
        }
        reported += expired.count
      }
      if let lease = model[id] {
        let answer = lessor.timeToLive(id: id, now: .milliseconds(nowMs))
        #expect(answer?.grantedTTL == lease.ttl)
        #expect(answer?.remainingTTL == max(0, (lease.expiry - nowMs) / 1_000))
        #expect(answer.map { Set($0.keys) } == lease.keys)
      } else {
        #expect(lessor.timeToLive(id: id, now: .milliseconds(nowMs)) == nil)
      }
      for key in keys.prefix(3) {
        #expect(lessor.lease(attachedTo: key) == model.first { $0.value.keys.contains(key) }?.key)
      }
    }
    #expect(lessor.records().map(\.id) == model.keys.sorted())
    #expect(reported > 50, "the run must see leases expire")
  }
}
