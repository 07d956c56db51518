import Raft
import TestSupport
import MVCC
import Testing

/// etcd's lessor rules (lease/lessor.go), one by one, with time injected.
@Suite struct LessorTests {
  private let key = { (name: String) in Array(name.utf8) }

  private func primary(minimumTTL: Int64 = 2, at now: Duration = .zero) -> Lessor {
    let lessor = Lessor(minimumTTL: minimumTTL, idGenerator: SplitMix64(seed: 7))
    lessor.promote(now: now)
    return lessor
  }

  @Test func grantRaisesSmallTTLsToTheMinimumAndRejectsHugeOnesAndDuplicates() throws {
    let lessor = primary()
    #expect(try lessor.grant(id: 1, ttl: 1, now: .zero) == LeaseRecord(id: 1, ttl: 2))
    #expect(try lessor.grant(id: 2, ttl: 60, now: .zero).ttl == 60)
    #expect(throws: MVCCError.leaseExists(id: 1)) { try lessor.grant(id: 1, ttl: 60, now: .zero) }
    #expect(try lessor.grant(id: 3, ttl: Lessor.maximumTTL, now: .zero).ttl == Lessor.maximumTTL)
    #expect(throws: MVCCError.leaseTTLTooLarge(ttl: Lessor.maximumTTL + 1)) {
      try lessor.grant(id: 4, ttl: Lessor.maximumTTL + 1, now: .zero)
    }
    #expect(lessor.records().map(\.id) == [1, 2, 3])
  }

  @Test func minimumTTLIsCeilingOfOneAndAHalfElectionTimeouts() {
    #expect(Lessor.minimumTTL(electionTicks: 10, heartbeatInterval: .milliseconds(100)) == 2)
    #expect(Lessor.minimumTTL(electionTicks: 50, heartbeatInterval: .milliseconds(100)) == 8)  // 7.5 s
    #expect(Lessor.minimumTTL(electionTicks: 20, heartbeatInterval: .milliseconds(100)) == 3)
  }

  @Test func grantWithoutAnIDChoosesUniquePositiveIDs() throws {
    let lessor = primary()
    var ids = Set<LeaseID>()
    for _ in 0..<200 {
      let id = try lessor.grant(id: 0, ttl: 10, now: .zero).id
      #expect(id > 0)
      ids.insert(id)
    }
    #expect(ids.count == 200)
    let again = Lessor(idGenerator: SplitMix64(seed: 7))
    #expect(again.newLeaseID() == Lessor(idGenerator: SplitMix64(seed: 7)).newLeaseID(), "IDs come from the injected generator")
  }

  @Test func revokeReturnsTheAttachedKeysInOrderAndForgetsTheLease() throws {
    let lessor = primary()
    _ = try lessor.grant(id: 5, ttl: 10, now: .zero)
    for name in ["b", "a", "c"] { try lessor.attach(key(name), to: 5) }
    try lessor.detach(key("c"), from: 5)
    #expect(lessor.lease(attachedTo: key("a")) == 5)
    #expect(lessor.lease(attachedTo: key("c")) == nil)
    #expect(try lessor.revoke(id: 5) == [key("a"), key("b")])
    #expect(lessor.lease(attachedTo: key("a")) == nil)
    #expect(lessor.count == 0)
    #expect(throws: MVCCError.leaseNotFound(id: 5)) { try lessor.revoke(id: 5) }
    #expect(throws: MVCCError.leaseNotFound(id: 5)) { try lessor.attach(key("a"), to: 5) }
    #expect(throws: MVCCError.leaseNotFound(id: 5)) { try lessor.detach(key("a"), from: 5) }
    #expect(lessor.expired(now: .seconds(100)).isEmpty, "a revoked lease never expires")
  }

  @Test func attachingAKeyToAnotherLeaseMovesIt() throws {
    let lessor = primary()
    _ = try lessor.grant(id: 1, ttl: 10, now: .zero)
    _ = try lessor.grant(id: 2, ttl: 10, now: .zero)
    try lessor.attach(key("k"), to: 1)
    try lessor.attach(key("k"), to: 2)
    #expect(lessor.lease(attachedTo: key("k")) == 2)
    #expect(try lessor.revoke(id: 1).isEmpty)
    #expect(lessor.timeToLive(id: 2, now: .zero)?.keys == [key("k")])
  }

  @Test func renewRestartsTheTTLOnlyOnThePrimary() throws {
    let lessor = primary()
    _ = try lessor.grant(id: 1, ttl: 10, now: .zero)
    #expect(lessor.timeToLive(id: 1, now: .seconds(4))?.remainingTTL == 6)
    #expect(try lessor.renew(id: 1, now: .seconds(8)) == 10)
    #expect(lessor.timeToLive(id: 1, now: .seconds(8.5))?.remainingTTL == 9)
    #expect(lessor.timeToLive(id: 1, now: .seconds(8.5))?.grantedTTL == 10)
    #expect(lessor.expired(now: .seconds(17.9)).isEmpty)
    #expect(lessor.expired(now: .seconds(18)) == [1])
    #expect(throws: MVCCError.leaseExpired(id: 1)) { try lessor.renew(id: 1, now: .seconds(18)) }
    #expect(throws: MVCCError.leaseNotFound(id: 9)) { try lessor.renew(id: 9, now: .seconds(18)) }
    lessor.demote()
    #expect(throws: MVCCError.leaseNotPrimary(id: 1)) { try lessor.renew(id: 1, now: .seconds(19)) }
    #expect(lessor.expired(now: .seconds(1_000)).isEmpty, "a demoted lessor reports no expiry")
    #expect(lessor.timeToLive(id: 1, now: .seconds(1_000))?.remainingTTL == Int64.max / 1_000_000_000,
            "leases last forever off the primary")
    #expect(lessor.timeToLive(id: 2, now: .zero) == nil)
  }

  @Test func expiredReportsEarliestFirstWithinTheLimitAndRetriesUnrevokedLeases() throws {
    let lessor = primary()
    for (id, ttl) in [(10, 30), (11, 5), (12, 20), (13, 5), (14, 100)] as [(LeaseID, Int64)] {
      _ = try lessor.grant(id: id, ttl: ttl, now: .zero)
    }
    #expect(lessor.expired(now: .seconds(4)).isEmpty)
    #expect(lessor.expired(now: .seconds(40), limit: 3) == [11, 13, 12], "by expiry, then ID; at most the limit")
    #expect(lessor.expired(now: .seconds(40)) == [10], "the rest next call; reported ones wait for the retry interval")
    _ = try lessor.revoke(id: 11)
    #expect(lessor.expired(now: .seconds(42.9)) == [])
    #expect(lessor.expired(now: .seconds(43)) == [10, 12, 13], "unrevoked leases are reported again after 3 s")
  }

  @Test func grantOffThePrimaryLastsUntilPromotionThenGetsItsFullTTL() throws {
    let lessor = Lessor(idGenerator: SplitMix64(seed: 1))
    _ = try lessor.grant(id: 1, ttl: 10, now: .seconds(5))
    #expect(lessor.expired(now: .seconds(500)).isEmpty)
    lessor.promote(now: .seconds(500), extend: .seconds(1))
    #expect(lessor.timeToLive(id: 1, now: .seconds(500))?.remainingTTL == 11, "TTL plus the extension")
    #expect(lessor.expired(now: .seconds(510.9)).isEmpty)
    #expect(lessor.expired(now: .seconds(511)) == [1])
  }

  @Test func restartRestoreAndPromoteGiveEveryLeaseItsFullTTLAgain() throws {
    let before = primary()
    _ = try before.grant(id: 1, ttl: 30, now: .zero)
    _ = try before.grant(id: 2, ttl: 60, now: .zero)
    try before.attach(key("x"), to: 1)
    let records = before.records()
    #expect(records == [LeaseRecord(id: 1, ttl: 30), LeaseRecord(id: 2, ttl: 60)])

    // 25 s later the member restarts from its persisted records and becomes leader again.
    let after = Lessor(idGenerator: SplitMix64(seed: 2))
    after.restore(records: records + [LeaseRecord(id: 3, ttl: 1)])
    #expect(!after.isPrimary)
    #expect(after.expired(now: .seconds(1_000)).isEmpty)
    #expect(after.timeToLive(id: 1, now: .seconds(25))?.keys == [], "keys come back when the store re-attaches them")
    try after.attach(key("x"), to: 1)
    after.promote(now: .seconds(25))
    #expect(after.timeToLive(id: 1, now: .seconds(25))?.remainingTTL == 30)
    #expect(after.timeToLive(id: 2, now: .seconds(25))?.remainingTTL == 60)
    #expect(after.timeToLive(id: 3, now: .seconds(25))?.grantedTTL == 2, "restored TTLs are raised to the minimum")
    #expect(after.expired(now: .seconds(54)) == [3])
    #expect(after.expired(now: .seconds(55)) == [1])
    #expect(try after.revoke(id: 1) == [key("x")])
  }

  @Test func checkpointedRemainingTTLIsWhatPromotionRestores() throws {
    let lessor = primary()
    _ = try lessor.grant(id: 1, ttl: 100, now: .zero)
    #expect(try lessor.checkpoint(id: 1, remainingTTL: 40) == LeaseRecord(id: 1, ttl: 100, remainingTTL: 40))
    #expect(lessor.records() == [LeaseRecord(id: 1, ttl: 100, remainingTTL: 40)])
    lessor.demote()
    lessor.promote(now: .seconds(70))
    #expect(lessor.timeToLive(id: 1, now: .seconds(70))?.remainingTTL == 40)
    #expect(try lessor.renew(id: 1, now: .seconds(80)) == 100)
    #expect(lessor.records() == [LeaseRecord(id: 1, ttl: 100)], "a renew clears the checkpoint")
    #expect(throws: MVCCError.leaseNotFound(id: 2)) { try lessor.checkpoint(id: 2, remainingTTL: 1) }
  }

  @Test func promotionSpreadsAPileOfSimultaneousExpiriesBelowTheRevokeRate() throws {
    let lessor = Lessor(idGenerator: SplitMix64(seed: 3))
    let count = 3_000
    for id in 1...count { _ = try lessor.grant(id: LeaseID(id), ttl: 10, now: .zero) }
    lessor.promote(now: .zero)
    // Without spreading all 3,000 would expire at 10 s; etcd's rule allows 750 per one-second window.
    var perSecond: [Int] = []
    for second in 10...16 {
      let expired = lessor.expired(now: .seconds(second), limit: .max)
      for id in expired { _ = try lessor.revoke(id: id) }  // as the server applies the revokes it proposes
      perSecond.append(expired.count)
    }
    #expect(perSecond.reduce(0, +) == count)
    #expect(perSecond.allSatisfy { $0 <= 750 }, "expiries per second: \(perSecond)")
    #expect(perSecond[0] == 750)
  }
}

/// The lessor's errors: etcd's strings for what clients see, a next step for the internal outcomes.
@Suite struct LessorErrorTests {
  @Test func clientFacingLeaseErrorsUseEtcdStringsAndInternalOnesSayWhatToDo() {
    #expect(MVCCError.leaseNotFound(id: 1).description == "requested lease not found")
    #expect(MVCCError.leaseExists(id: 1).description == "lease already exists")
    #expect(MVCCError.leaseTTLTooLarge(ttl: 1).description == "too large lease TTL")
    #expect(MVCCError.leaseNotPrimary(id: 7).description.contains("forward the keepalive to the leader"))
    #expect(MVCCError.leaseExpired(id: 7).description.contains("lease 7 has expired"))
    #expect(MVCCError.leaseExpired(id: 7).description.contains("wait for the revoke"))
  }
}
