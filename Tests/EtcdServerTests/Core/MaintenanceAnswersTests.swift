import EtcdProto
import EtcdServer
import Foundation
import Testing

/// Maintenance answers shaped as etcd 3.4 shapes them (found by the etcdctl differential suite in CLITests).
@Suite struct MaintenanceAnswersTests {
  @Test func alarmAnswersCarryNoHeaderAsEtcdDoes() async throws {
    let member = try SingleMemberTests.Member()
    defer { member.close() }
    var request = Etcdserverpb_AlarmRequest()
    request.action = .get
    let response = try await member.running.alarm(request)
    // etcd 3.4: `etcdctl alarm list -w json` prints `{}`.
    #expect(!response.hasHeader)
    #expect(response.alarms.isEmpty)
  }

  @Test func hashKVReportsCompactRevisionMinusOneBeforeAnyCompaction() async throws {
    let member = try SingleMemberTests.Member()
    defer { member.close() }
    _ = try await member.running.put(SingleMemberTests.put("a", "1"))
    let before = try member.running.hashKV(Etcdserverpb_HashKVRequest())
    #expect(before.compactRevision == -1)
    _ = try await member.running.put(SingleMemberTests.put("a", "2"))
    var compact = Etcdserverpb_CompactionRequest()
    compact.revision = 2
    _ = try await member.running.compact(compact)
    let after = try member.running.hashKV(Etcdserverpb_HashKVRequest())
    #expect(after.compactRevision == 2)
  }
}
