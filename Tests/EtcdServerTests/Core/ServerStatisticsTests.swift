import EtcdProto
import EtcdServer
import Foundation
import Synchronization
import Testing
import TestSupport

/// The member's counters and latency hooks, which /metrics reports as etcd's leader-change, proposal, WAL fsync and
/// backend commit series.
@Suite struct ServerStatisticsTests {
  final class Durations: Sendable {
    let count = Atomic<Int>(0)
    var observer: @Sendable (Duration) -> Void { { [self] _ in count.add(1, ordering: .relaxed) } }
  }

  @Test func aNewMemberCountsItsOwnElectionAsOneLeaderChangeAndFeedsTheLatencyHooks() async throws {
    let directory = makeTemporaryDirectory("swetcd-statistics")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fsyncs = Durations()
    let commits = Durations()
    // fsync stays on: the WAL fsync hook sees only real fsyncs.
    let settings = MemberSettings(dataDirectory: directory + "/data")
    let server = try EtcdServer(
      settings: settings, log: ServerLog(minimum: .error),
      observers: ServerObservers(walFsync: fsyncs.observer, backendCommit: commits.observer))
    var stopped = false
    defer { if !stopped { server.stop() } }
    for index in 0..<3 {
      var put = Etcdserverpb_PutRequest()
      put.key = Data("k\(index)".utf8)
      put.value = Data("v".utf8)
      _ = try await server.propose(.put(put), as: nil)
    }
    let statistics = server.statistics
    #expect(statistics.leaderChanges == 1)
    #expect(statistics.proposalsFailed == 0)
    #expect(statistics.proposalsPending == 0)
    // Each applied put was fsynced in the WAL before it was answered.
    #expect(fsyncs.count.load(ordering: .relaxed) >= 3)
    server.stop()
    stopped = true
    // Stopping commits the store's open batch.
    #expect(commits.count.load(ordering: .relaxed) >= 1)
  }
}
