import EtcdProto
import EtcdServer
import Foundation
import MVCC
import Testing
import TestSupport

/// A one-member server over a real data dir: writes go through Raft, the WAL and the store; reads are
/// linearizable by default; a restart recovers everything applied.
@Suite struct SingleMemberTests {
  /// A member in a fresh temporary data dir; `close()` stops it and removes the directory.
  final class Member {
    let directory = makeTemporaryDirectory("swetcd-member")
    var settings: MemberSettings
    var server: EtcdServer?

    init(snapshotCount: UInt64 = 100_000) throws {
      settings = MemberSettings(dataDirectory: directory + "/data")
      settings.snapshotCount = snapshotCount
      settings.unsafeNoFsync = true
      server = try EtcdServer(settings: settings, log: ServerLog(minimum: .error))
    }

    var running: EtcdServer { server! }

    func restart() throws {
      server?.stop()
      server = try EtcdServer(settings: settings, log: ServerLog(minimum: .error))
    }

    func close() {
      server?.stop()
      try? FileManager.default.removeItem(atPath: directory)
    }
  }

  static func put(_ key: String, _ value: String, lease: Int64 = 0) -> Etcdserverpb_PutRequest {
    var request = Etcdserverpb_PutRequest()
    request.key = Data(key.utf8)
    request.value = Data(value.utf8)
    request.lease = lease
    return request
  }

  static func get(_ key: String, end: String? = nil) -> Etcdserverpb_RangeRequest {
    var request = Etcdserverpb_RangeRequest()
    request.key = Data(key.utf8)
    if let end { request.rangeEnd = Data(end.utf8) }
    return request
  }

  @Test func theDefaultMemberHasEtcdsDefaultMemberAndClusterID() throws {
    let member = try Member()
    defer { member.close() }
    // etcd 3.4 started with no flags: member 8e9e05c52164694d in cluster cdf818194e3a8c32.
    #expect(String(member.running.memberID, radix: 16) == "8e9e05c52164694d")
    #expect(String(member.running.clusterID, radix: 16) == "cdf818194e3a8c32")
  }

  @Test func putThenLinearizableRangeSeesTheValueWithEtcdsHeader() async throws {
    let member = try Member()
    defer { member.close() }
    let server = member.running
    let put = try await server.put(Self.put("a", "1"), caller: .anonymous)
    #expect(put.header.revision == 2)
    #expect(put.header.memberID == server.memberID && put.header.clusterID == server.clusterID)
    #expect(put.header.raftTerm >= 2)
    let range = try await server.range(Self.get("a"), caller: .anonymous)
    #expect(range.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["1"])
    #expect(range.header.revision == 2 && range.count == 1)
  }

  @Test func concurrentPutsAreAllAppliedWithDistinctRevisions() async throws {
    let member = try Member()
    defer { member.close() }
    let server = member.running
    let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
      for index in 0..<200 { group.addTask { try await server.put(Self.put("k\(index)", "v"), caller: .anonymous).header.revision } }
      return try await group.reduce(into: [Int64]()) { $0.append($1) }
    }
    #expect(Set(revisions) == Set(2...201))
    let all = try await server.range(Self.get("k", end: "l"), caller: .anonymous)
    #expect(all.count == 200)
  }

  @Test func storeRefusalsCarryEtcdsText() async throws {
    let member = try Member()
    defer { member.close() }
    var ignoreValue = Self.put("missing", "")
    ignoreValue.ignoreValue = true
    await #expect(throws: ServerError.store(.keyNotFound)) { try await member.running.put(ignoreValue, caller: .anonymous) }
    var future = Self.get("a")
    future.revision = 99
    do {
      _ = try await member.running.range(future, caller: .anonymous)
      Issue.record("a range at a future revision succeeded")
    } catch {
      #expect(error.description == "etcdserver: mvcc: required revision is a future revision")
      #expect(error.code == .outOfRange)
    }
    // The refused entries still count as applied: the next write gets the next revision.
    #expect(try await member.running.put(Self.put("a", "1"), caller: .anonymous).header.revision == 2)
  }

  @Test func aRestartRecoversEveryAppliedWriteAndGoesOnFromItsRevision() async throws {
    let member = try Member()
    defer { member.close() }
    for index in 0..<100 { _ = try await member.running.put(Self.put("k\(index)", "v\(index)"), caller: .anonymous) }
    try member.restart()
    let all = try await member.running.range(Self.get("k", end: "l"), caller: .anonymous)
    #expect(all.count == 100 && all.header.revision == 101)
    #expect(try await member.running.put(Self.put("after", "restart"), caller: .anonymous).header.revision == 102)
  }

  @Test func snapshotsAreTakenByPolicyAndARestartAfterThemKeepsTheData() async throws {
    let member = try Member(snapshotCount: 50)
    defer { member.close() }
    for index in 0..<130 { _ = try await member.running.put(Self.put("k\(index)", "v"), caller: .anonymous) }
    let snapDir = member.settings.dataDirectory + "/member/snap"
    let snaps = try FileManager.default.contentsOfDirectory(atPath: snapDir).filter { $0.hasSuffix(".snap") }
    #expect(snaps.count >= 2, "snapshot files: \(snaps)")
    try member.restart()
    #expect(try await member.running.range(Self.get("k", end: "l"), caller: .anonymous).count == 130)
  }

  @Test func aRevokedLeaseDeletesItsKeysThroughRaft() async throws {
    let member = try Member()
    defer { member.close() }
    let server = member.running
    var grant = Etcdserverpb_LeaseGrantRequest()
    grant.id = 77
    grant.ttl = 60
    guard case .leaseGrant(let granted, _) = try await server.propose(.leaseGrant(grant), as: nil) else {
      Issue.record("lease grant answered with another response")
      return
    }
    #expect(granted.id == 77 && granted.ttl == 60)
    _ = try await server.put(Self.put("leased", "x", lease: 77), caller: .anonymous)
    var revoke = Etcdserverpb_LeaseRevokeRequest()
    revoke.id = 77
    _ = try await server.propose(.leaseRevoke(revoke), as: nil)
    #expect(try await server.range(Self.get("leased"), caller: .anonymous).count == 0)
  }

  @Test func aWriteTransactionGoesThroughRaftAndAReadOnlyOneDoesNot() async throws {
    let member = try Member()
    defer { member.close() }
    let server = member.running
    var compare = Etcdserverpb_Compare()
    compare.key = Data("a".utf8)
    compare.target = .version
    compare.result = .equal
    compare.version = 0
    var op = Etcdserverpb_RequestOp()
    op.requestPut = Self.put("a", "created")
    var txn = Etcdserverpb_TxnRequest()
    txn.compare = [compare]
    txn.success = [op]
    let first = try await server.txn(txn, caller: .anonymous)
    #expect(first.succeeded && first.header.revision == 2)
    let second = try await server.txn(txn, caller: .anonymous)
    #expect(!second.succeeded && second.header.revision == 2)
    var read = Etcdserverpb_RequestOp()
    read.requestRange = Self.get("a")
    var readOnly = Etcdserverpb_TxnRequest()
    readOnly.success = [read]
    let applied = server.raftStatus.applied
    let answer = try await server.txn(readOnly, caller: .anonymous)
    #expect(answer.responses.first?.responseRange.kvs.first?.value == Data("created".utf8))
    #expect(server.raftStatus.applied == applied, "a read-only txn added an entry to the log")
  }
}
