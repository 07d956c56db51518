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
    let response = try await member.running.alarm(request, caller: .anonymous)
    // etcd 3.4: `etcdctl alarm list -w json` prints `{}`.
    #expect(!response.hasHeader)
    #expect(response.alarms.isEmpty)
  }

  @Test func hashKVReportsCompactRevisionMinusOneBeforeAnyCompaction() async throws {
    let member = try SingleMemberTests.Member()
    defer { member.close() }
    _ = try await member.running.put(SingleMemberTests.put("a", "1"), caller: .anonymous)
    let before = try member.running.hashKV(Etcdserverpb_HashKVRequest(), caller: .anonymous)
    #expect(before.compactRevision == -1)
    _ = try await member.running.put(SingleMemberTests.put("a", "2"), caller: .anonymous)
    var compact = Etcdserverpb_CompactionRequest()
    compact.revision = 2
    _ = try await member.running.compact(compact, caller: .anonymous)
    let after = try member.running.hashKV(Etcdserverpb_HashKVRequest(), caller: .anonymous)
    #expect(after.compactRevision == 2)
  }
}
