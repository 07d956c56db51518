import Foundation
import Testing
import TestSupport

extension ClusterTests.Membership {
  /// --strict-reconfig-check's connectivity rule: with a voter down, the member asked refuses to add a member and to
  /// remove another live voter ("etcdserver: unhealthy cluster": either would leave the reachable voters short of a
  /// quorum), and takes the add once the voter is back and its streams have been up for 5 s.
  @Test(arguments: ClusterServer.enabled)
  func changesThatCouldBreakTheReachableQuorumAreRefusedWhileAVoterIsDown(server: ClusterServer) async throws {
    try await ProcessCluster.with(server) { cluster in
      let members = cluster.members
      let leader = try await cluster.waitForLeader(among: members)
      let followers = members.filter { $0 !== leader }
      let (down, live) = (followers[0], followers[1])
      let list = try await cluster.memberList(via: leader)
      let downID = try #require(list.members.first { $0.name == down.name }?.id)
      let liveID = try #require(list.members.first { $0.name == live.name }?.id)
      #expect(try await cluster.activePeers(on: leader, remote: downID) == 1, "the stream to a running voter is up")

      await down.stop()
      let noticed = try await eventually(within: 10) {
        try await cluster.activePeers(on: leader, remote: downID) == 0
      }
      try #require(noticed, "the leader's etcd_network_active_peers shows \(hexID(downID)) up 10 s after it stopped")

      let learnerURL = "http://\(cluster.network.subnet).99:2380"
      let add = try await cluster.etcdctl(["member", "add", "learner1", "--learner", "--peer-urls=\(learnerURL)"],
                                          on: [leader])
      #expect(add.status != 0)
      #expect(add.stderr.contains("etcdserver: unhealthy cluster"), "member add: \(add.stderr)")
      let remove = try await cluster.etcdctl(["member", "remove", hexID(liveID)], on: [leader])
      #expect(remove.status != 0)
      #expect(remove.stderr.contains("etcdserver: unhealthy cluster"), "member remove: \(remove.stderr)")
      #expect(try await cluster.memberList(via: leader).members.count == 3, "nothing was changed")
      print("[\(server)] with \(down.name) down: add: \(add.stderr.split(separator: "\n").last ?? ""); remove: "
        + "\(remove.stderr.split(separator: "\n").last ?? "")")

      try cluster.start(down)
      try await cluster.waitUntilHealthy(members)
      // memberChange retries while the restarted member's streams are younger than 5 s.
      let added = try await cluster.memberChange(["add", "learner1", "--learner", "--peer-urls=\(learnerURL)"],
                                                 on: [leader])
      #expect(added.hasPrefix("Member "), "\(added)")
    }
  }
}

extension ProcessCluster {
  /// The value of etcd's `etcd_network_active_peers` series for `remote` on `member`'s /metrics (nil: no series).
  func activePeers(on member: ClusterMember, remote: UInt64) async throws -> Double? {
    let scrape = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", "-m", "5", member.clientURL + "/metrics"])
    let label = "Remote=\"\(hexID(remote))\""
    let line = scrape.stdout.split(separator: "\n").first {
      $0.hasPrefix("etcd_network_active_peers{") && $0.contains(label)
    }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
  }
}
