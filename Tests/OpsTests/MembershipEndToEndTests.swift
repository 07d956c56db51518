import EtcdClient
import Foundation
import Testing
import TestSupport

/// add-member, remove-member and replace-member against real etcd 3.4 on sshd test hosts, checked with the real
/// etcdctl and an independent poller of the membership.
enum MembershipScenarios {
  /// Runs `body` with `count` test hosts of which the first `members` are deployed as the cluster.
  static func withDeployed(
    count: Int, members: Int, server: ServerUnderTest, _ body: (DeployScenario) async throws -> Void
  ) async throws {
    try await DeployScenario.with(count: count, server: server) { scenario in
      let names = scenario.hosts.hosts.prefix(members).map(\.name)
      try scenario.writeInventory(only: names)
      let deploy = try await scenario.ops("deploy")
      try #require(deploy.status == 0, "\(deploy.stdout.suffix(3000))\n\(deploy.stderr.suffix(2000))")
      try await body(scenario)
    }
  }

  static func twoHostsJoinUnderWriteLoadAsLearnersFirst(_ server: ServerUnderTest) async throws {
    try await withDeployed(count: 5, members: 3, server: server) { scenario in
      let original = ["host1", "host2", "host3"]
      let load = try WriteLoad.start(endpoints: scenario.endpoints(original), tls: scenario.tls)
      let rolesClient = try scenario.client(original)
      let roles = Poller(RolesSeen(), every: .milliseconds(100)) { try? await rolesClient.memberList().members } record: { $0.record($1) }
      try scenario.writeInventory()
      // deploy does not start new hosts beside a running cluster: they would bootstrap a cluster of their own.
      let premature = try await scenario.ops("deploy")
      #expect(premature.status == 1, "\(premature.stdout.suffix(2000))")
      #expect((premature.stdout + premature.stderr).contains("host4 is new but the cluster already runs"), "\(premature.stdout.suffix(2000))")
      #expect((premature.stdout + premature.stderr).contains("swetcd-ops add-member"), "\(premature.stdout.suffix(2000))")

      let plan = try await scenario.ops("add-member", ["--host", "host4", "--host", "host5", "--dry-run"])
      #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
      #expect(plan.stdout.contains("add https://\(scenario.hosts.hosts[3].address):2380 as a LEARNER"), "\(plan.stdout)")
      #expect(plan.stdout.contains("3 voters, quorum 2, tolerates 1 failure -> 4 voters, quorum 3, tolerates 1 failure"), "\(plan.stdout)")
      #expect(plan.stdout.contains("4 voters, quorum 3, tolerates 1 failure -> 5 voters, quorum 3, tolerates 2 failures"), "\(plan.stdout)")

      let added = try await scenario.ops("add-member", ["--host", "host4", "--host", "host5", "--yes"], timeout: 600)
      let report = await load.stop()
      let seen = await roles.stop().byName
      await rolesClient.close()
      #expect(added.status == 0, "\(added.stdout.suffix(4000))\n\(added.stderr.suffix(2000))")
      print("add-member of host4, host5 under load: \(report); roles seen: \(seen.sorted { $0.key < $1.key })")
      let lines = added.stdout.split(separator: "\n").map(String.init)
      func line(_ text: String) -> Int? { lines.firstIndex { $0.contains(text) } }
      let order = ["host4: added as a learner", "host4: caught up as a learner", "host4: promoted from learner to voter", "host4: healthy",
                   "host5: added as a learner", "host5: promoted from learner to voter", "host5: healthy"].map(line)
      #expect(order.allSatisfy { $0 != nil } && order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "\(added.stdout.suffix(4000))")
      #expect(added.stdout.contains("snapshot before the change:"), "a snapshot is taken before the membership changes")
      // Each new member was a learner before it voted: host1's server log (raft's own record of every
      // configuration it applied) shows it among the learners before "promote member". An independent poller of
      // the membership, when it sampled the short learner phase at all, never saw a learner after a voter.
      let members = try await scenario.etcdctl(["member", "list", "-w", "simple"])
      let log = try await scenario.exec(on: "host1", ["cat", "/var/log/swetcd/\(server.serviceName).log"]).stdout
      for name in ["host4", "host5"] {
        let line = members.stdout.split(separator: "\n").first { $0.contains(", \(name), ") }
        let hex = String(line?.split(separator: ",").first ?? "")
        let decimal = UInt64(hex, radix: 16).map(String.init) ?? "?"
        let logLines = log.split(separator: "\n")
        let asLearner = logLines.firstIndex { $0.contains("switched to configuration") && $0.contains("learners=(") && $0.split(separator: "learners=(").last?.contains(decimal) == true }
        // etcd (capnslog): "promote member <hex> in cluster ..."; swetcd: "applied a membership change" with
        // "change":"promote <hex>" (etcd's zap line "promote member" names no member).
        let promotion = server == .etcd ? "promote member \(hex)" : "\"change\":\"promote \(hex)\""
        let promoted = logLines.firstIndex { $0.contains(promotion) }
        #expect(asLearner != nil && promoted != nil && asLearner! < promoted!, "\(name) (\(hex) = \(decimal)) must be a learner in host1's log before its promotion")
        let states = seen[name] ?? []
        #expect(states.last == "voter" && !states.drop(while: { $0 == "learner" }).contains("learner"), "\(name) went \(states)")
      }
      // Writes went on: adding learners changes no leader, so nothing should fail for long.
      #expect(report.succeeded > 50, "\(report)")
      #expect(report.longestOutage < .seconds(5), "\(report)")
      for host in scenario.hosts.hosts {
        #expect(members.stdout.contains(", started, \(host.name), https://\(host.address):2380, https://\(host.address):2379, false"), "\(members.stdout)")
      }
      let health = try await scenario.etcdctl(["endpoint", "health"])
      #expect(health.status == 0 && healthyCount(health) == 5, "\(health.stderr)")
      // The joined members' config says how they joined, and a deploy of the 5-host inventory changes nothing.
      let config = try await scenario.exec(on: "host5", ["cat", "/etc/swetcd/etcd.conf"])
      #expect(config.stdout.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""), "\(config.stdout)")
      let rerun = try await scenario.ops("deploy")
      #expect(rerun.status == 0 && rerun.stdout.contains("changed=0 failed=0"), "\(rerun.stdout.suffix(3000))")
      // Adding again is a no-op.
      let again = try await scenario.ops("add-member", ["--host", "host4", "--yes", "--no-backup"])
      #expect(again.status == 0 && again.stdout.contains("host4: already a voting member"), "\(again.stdout)")
    }
  }

  static func aSecondMemberJoinsASingleMemberCluster(_ server: ServerUnderTest) async throws {
    try await withDeployed(count: 2, members: 1, server: server) { scenario in
      try #require(try await scenario.etcdctl(["put", "before", "join"], on: ["host1"]).status == 0)
      try scenario.writeInventory()
      let unconfirmed = try await scenario.ops("add-member", ["--host", "host2"])
      #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("stdin is not a terminal"), "\(unconfirmed.stdout)\n\(unconfirmed.stderr)")
      let unchanged = try await scenario.etcdctl(["member", "list", "-w", "simple"], on: ["host1"])
      #expect(unchanged.stdout.split(separator: "\n").count == 1, "nothing is added without --yes: \(unchanged.stdout)")
      let added = try await scenario.ops("add-member", ["--host", "host2", "--yes"], timeout: 600)
      #expect(added.status == 0, "\(added.stdout.suffix(4000))\n\(added.stderr.suffix(2000))")
      #expect(added.stdout.contains("the cluster has 1 voter; while host2 is a learner the cluster keeps running on that voter alone"), "\(added.stdout)")
      #expect(added.stdout.contains("1 voter, quorum 1, tolerates 0 failures -> 2 voters, quorum 2, tolerates 0 failures"), "\(added.stdout)")
      let members = try await scenario.etcdctl(["member", "list", "-w", "simple"])
      #expect(members.stdout.split(separator: "\n").filter { $0.contains(", started, ") && $0.hasSuffix(", false") }.count == 2, "\(members.stdout)")
      let value = try await scenario.etcdctl(["get", "before", "--print-value-only"], on: ["host2"])
      #expect(value.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "join", "\(value.stdout) \(value.stderr)")
    }
  }

  static func aMemberIsReplacedAndADeadHostIsRemoved(_ server: ServerUnderTest) async throws {
    try await withDeployed(count: 4, members: 3, server: server) { scenario in
      try scenario.writeInventory()
      let replaced = try await scenario.ops("replace-member", ["--host", "host3", "--with", "host4", "--yes"], timeout: 600)
      #expect(replaced.status == 0, "\(replaced.stdout.suffix(4000))\n\(replaced.stderr.suffix(2000))")
      #expect(replaced.stdout.contains("removed host3"), "\(replaced.stdout.suffix(2000))")
      let moved = try await scenario.exec(on: "host3", ["sh", "-c", "ls -d \(scenario.server.dataDirectory)/.swetcd-ops-aside/removed-*/member/wal"])
      #expect(moved.status == 0 && moved.stdout.contains("wal"), "host3's data is moved aside, not deleted: \(moved.stdout) \(moved.stderr)")
      let afterReplace = try await scenario.etcdctl(["member", "list", "-w", "simple"], on: ["host1", "host2", "host4"])
      #expect(afterReplace.stdout.contains(", host4, ") && !afterReplace.stdout.contains(", host3, "), "\(afterReplace.stdout)")

      // host2 dies: its server crashes and its sshd is gone.
      try await scenario.crashServer(on: "host2")
      kill(try scenario.hosts.host("host2").sshdPid, SIGKILL)
      try scenario.writeInventory(only: ["host1", "host2", "host4"])
      // As an operator would, wait until the survivors have a leader again (host2 may have led).
      let survivorsHealthy = try await eventually(within: 30, every: .seconds(1)) {
        try await scenario.etcdctl(["endpoint", "health"], on: ["host1", "host4"]).status == 0
      }
      try #require(survivorsHealthy, "host1 and host4 must keep a quorum without host2")
      let refused = try await scenario.ops("remove-member", ["--host", "host2"])
      #expect(refused.status == 1 && refused.stderr.contains("stdin is not a terminal"), "\(refused.stdout)\n\(refused.stderr)")
      let stillThree = try await scenario.etcdctl(["member", "list", "-w", "simple"], on: ["host1", "host4"])
      #expect(stillThree.stdout.contains(", host2, "), "nothing changed without --yes")
      let removed = try await scenario.ops("remove-member", ["--host", "host2", "--yes"], timeout: 300)
      #expect(removed.status == 0, "\(removed.stdout.suffix(3000))\n\(removed.stderr.suffix(2000))")
      #expect(removed.stdout.contains("3 voters, quorum 2, tolerates 1 failure -> 2 voters, quorum 2, tolerates 0 failures"), "\(removed.stdout)")
      #expect(removed.stdout.contains("host2 does not answer over SSH"), "\(removed.stdout.suffix(2000))")
      let members = try await scenario.etcdctl(["member", "list", "-w", "simple"], on: ["host1", "host4"])
      #expect(members.stdout.split(separator: "\n").count == 2 && !members.stdout.contains(", host2, "), "\(members.stdout)")
      let health = try await scenario.etcdctl(["endpoint", "health"], on: ["host1", "host4"])
      #expect(health.status == 0, "\(health.stderr)")
    }
  }
}

/// The roles each member was seen in by a poller of the membership (deduplicated runs: learner, then voter).
struct RolesSeen: Sendable {
  /// Keyed by peer URL: a member added but not started has no name yet.
  private var byPeerURL: [String: [String]] = [:]
  private var names: [String: String] = [:]

  mutating func record(_ members: [ClusterMember]) {
    for member in members {
      let key = member.peerURLs.first ?? ""
      if !member.name.isEmpty { names[key] = member.name }
      let role = member.isLearner ? "learner" : "voter"
      if byPeerURL[key]?.last != role { byPeerURL[key, default: []].append(role) }
    }
  }

  /// Each member's roles in the order seen, by name (by peer URL for a member never seen started).
  var byName: [String: [String]] {
    Dictionary(uniqueKeysWithValues: byPeerURL.map { (names[$0.key] ?? $0.key, $0.value) })
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct MembershipEtcdEndToEndTests {
    @Test func twoHostsJoinUnderWriteLoadAsLearnersFirst() async throws {
      try await MembershipScenarios.twoHostsJoinUnderWriteLoadAsLearnersFirst(.etcd)
    }
    @Test func aSecondMemberJoinsASingleMemberCluster() async throws {
      try await MembershipScenarios.aSecondMemberJoinsASingleMemberCluster(.etcd)
    }
    @Test func aMemberIsReplacedAndADeadHostIsRemoved() async throws {
      try await MembershipScenarios.aMemberIsReplacedAndADeadHostIsRemoved(.etcd)
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized)
  struct MembershipSwetcdEndToEndTests {
    @Test func twoHostsJoinUnderWriteLoadAsLearnersFirst() async throws {
      try await MembershipScenarios.twoHostsJoinUnderWriteLoadAsLearnersFirst(.swetcd)
    }
    @Test func aSecondMemberJoinsASingleMemberCluster() async throws {
      try await MembershipScenarios.aSecondMemberJoinsASingleMemberCluster(.swetcd)
    }
    @Test func aMemberIsReplacedAndADeadHostIsRemoved() async throws {
      try await MembershipScenarios.aMemberIsReplacedAndADeadHostIsRemoved(.swetcd)
    }
  }
}
