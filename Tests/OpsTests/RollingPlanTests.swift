import Foundation
import Testing
@testable import EtcdClient
@testable import Ops

/// A cluster view made by hand: one entry per (name, role, healthy, raft index) tuple, matched to the inventory's
/// hosts by name.
private struct ViewBuilder {
  enum Role { case leader, follower, learner, unreachable }
  let inventory: Inventory

  init(hosts: [String]) throws {
    var yaml = "cluster:\n  name: c1\n  server: etcd\n  binary: /usr/bin/etcd\n  ctl_binary: /usr/bin/etcdctl\n  tls: true\nssh:\n  user: root\n  key: /k\n  known_hosts: /kh\nhosts:\n"
    for (index, name) in hosts.enumerated() { yaml += "  - { name: \(name), address: 10.9.0.\(index + 11) }\n" }
    inventory = try InventoryLoader.parse(yaml: yaml, file: "/srv/ops/inventory.yml", baseDirectory: "/srv/ops", home: "/root")
  }

  func view(_ members: [(String, Role, Bool, UInt64)], leaderID: UInt64? = nil) -> ClusterView {
    let leader = leaderID ?? members.enumerated().first { $0.element.1 == .leader }.map { UInt64($0.offset + 1) } ?? 0
    let entries = members.enumerated().map { index, spec -> ClusterView.Entry in
      let (name, role, healthy, raftIndex) = spec
      let id = UInt64(index + 1)
      let host = inventory.hosts.first { $0.name == name }
      let endpoint = try! EtcdEndpoint(parsing: host?.clientURL(tls: true) ?? "https://10.9.9.9:2379")
      let member = ClusterMember(id: id, name: name, peerURLs: [host?.peerURL(tls: true) ?? "https://10.9.9.9:2380"],
                                 clientURLs: [endpoint.description], isLearner: role == .learner)
      let status = role == .unreachable ? nil : EndpointStatus(
        endpoint: endpoint, memberID: id, clusterID: 7, version: "3.4.30", dbSize: 20_480, dbSizeInUse: 16_384,
        leaderID: leader, raftIndex: raftIndex, raftTerm: 2, raftAppliedIndex: raftIndex, revision: 10,
        isLearner: role == .learner, errors: [])
      let health = EndpointHealth(endpoint: endpoint, isHealthy: healthy && role != .unreachable, took: .milliseconds(3),
                                  error: healthy && role != .unreachable ? nil : "context deadline exceeded")
      return ClusterView.Entry(member: member, host: host, endpoint: endpoint.description, status: status, health: health)
    }
    return ClusterView(entries: entries)
  }

  func plan(_ kind: RollingKind, _ view: ClusterView, targets: [String]? = nil, skip: [String: String] = [:],
            requireAll: Bool = false) -> RollingPlan {
    let hosts = targets.map { names in inventory.hosts.filter { names.contains($0.name) } } ?? inventory.hosts
    return RollingPlan.make(kind: kind, clusterName: "c1", view: view, targets: hosts, tls: true, skip: skip,
                            requireAllMembersInInventory: requireAll)
  }
}

@Suite struct RollingPlanTests {
  @Test func learnersThenFollowersAndTheLeaderLast() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3", "host4"])
    let view = builder.view([("host1", .follower, true, 90), ("host2", .leader, true, 100),
                             ("host3", .follower, true, 95), ("host4", .learner, true, 80)])
    let plan = builder.plan(.restart, view)
    #expect(plan.steps.map(\.name) == ["host4", "host1", "host3", "host2"])
    #expect(plan.steps.map(\.role) == [.learner, .follower, .follower, .leader])
    #expect(plan.refusal == nil)
    #expect(plan.confirmationAction == "restart 4 members of cluster c1 one at a time (host4, host1, host3, then host2)")
  }

  @Test func threeVotersKeepTwoOfThreeAndThePlanShowsTheLeaderLast() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3"])
    let view = builder.view([("host1", .leader, true, 100), ("host2", .follower, true, 100), ("host3", .follower, true, 99)])
    let plan = builder.plan(.upgrade, view)
    #expect(plan.quorumLine == "3 voters, quorum 2: one member down at a time keeps 2 of 3")
    let text = plan.render(view: view)
    let order = text.split(separator: "\n").filter { $0.hasPrefix("  1.") || $0.hasPrefix("  2.") || $0.hasPrefix("  3.") }
    #expect(order.count == 3)
    #expect(order.last?.contains("host1") == true && order.last?.contains("leader") == true)
    #expect(order.last?.contains("move leadership to a healthy follower, then upgrade and restart") == true)
    #expect(text.contains("Quorum: 3 voters, quorum 2: one member down at a time keeps 2 of 3"))
    #expect(text.contains("after it, the member healthy again and its raft index caught up with the leader's (deadline 120 s), else stop."))
    #expect(!text.contains("REFUSED"))
  }

  @Test func anUnhealthyOrUnreachableMemberRefusesNamingIt() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3"])
    let unhealthy = builder.plan(.restart, builder.view([("host1", .leader, true, 100), ("host2", .follower, false, 50),
                                                         ("host3", .follower, true, 100)]))
    #expect(unhealthy.refusal?.contains("host2 is unhealthy") == true, "\(unhealthy.refusal ?? "no refusal")")
    #expect(unhealthy.refusal?.contains("starts only from a healthy cluster") == true)
    let unreachable = builder.plan(.upgrade, builder.view([("host1", .leader, true, 100), ("host2", .follower, true, 100),
                                                           ("host3", .unreachable, false, 0)]))
    #expect(unreachable.refusal?.contains("host3 is unreachable") == true, "\(unreachable.refusal ?? "no refusal")")
    #expect(unreachable.render(view: builder.view([("host1", .leader, true, 1)])).contains("REFUSED: "))
  }

  @Test func twoVotersAreRefusedBecauseOneDownLosesQuorum() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2"])
    let plan = builder.plan(.restart, builder.view([("host1", .leader, true, 10), ("host2", .follower, true, 10)]))
    #expect(plan.quorumLine == "2 voters, quorum 2: one member down at a time leaves only 1 of 2")
    let refusal = try #require(plan.refusal)
    #expect(refusal.contains("2 voters need a quorum of 2: while one member is down for its restart, only 1 of 2 would be up, below quorum"), "\(refusal)")
    #expect(refusal.contains("add-member"))
    // Defragmentation does not take a member down, so two voters may be defragmented.
    #expect(builder.plan(.defrag, builder.view([("host1", .leader, true, 10), ("host2", .follower, true, 10)])).refusal == nil)
  }

  @Test func aSingleVoterIsAllowedWithAnExplicitDowntimeWarning() throws {
    let builder = try ViewBuilder(hosts: ["solo"])
    let view = builder.view([("solo", .leader, true, 10)])
    let plan = builder.plan(.upgrade, view)
    #expect(plan.refusal == nil)
    #expect(plan.steps.map(\.name) == ["solo"])
    #expect(plan.quorumLine == "1 voter, quorum 1: restarting it takes the cluster down until it is back (downtime)")
    let text = plan.render(view: view)
    #expect(text.contains("DOWNTIME: this cluster has a single voter"))
    #expect(!text.contains("move leadership"), "a single voter has nobody to hand leadership to")
  }

  @Test func membersAlreadyDoneAreSkippedAndNotVisited() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3"])
    let view = builder.view([("host1", .leader, true, 100), ("host2", .follower, true, 100), ("host3", .follower, true, 100)])
    let partly = builder.plan(.upgrade, view, skip: ["host2": "already runs the new build"])
    #expect(partly.steps.map(\.name) == ["host3", "host1"])
    #expect(partly.render(view: view).contains("skip host2: already runs the new build"))
    let all = builder.plan(.upgrade, view, skip: ["host1": "done", "host2": "done", "host3": "done"])
    #expect(all.steps.isEmpty)
    #expect(all.render(view: view).contains("Nothing to upgrade."))
  }

  @Test func aTargetThatIsNotAMemberIsRefused() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3", "host4"])
    let view = builder.view([("host1", .leader, true, 100), ("host2", .follower, true, 100), ("host3", .follower, true, 100)])
    let plan = builder.plan(.restart, view)
    #expect(plan.refusal?.hasPrefix("host4 is in the inventory but not a member of the cluster") == true, "\(plan.refusal ?? "")")
    #expect(builder.plan(.restart, view, targets: ["host1", "host3"]).refusal == nil, "--hosts can leave it out")
    #expect(builder.plan(.restart, view, targets: ["host1", "host3"]).steps.map(\.name) == ["host3", "host1"])
  }

  @Test func anUpgradeRefusesMembersTheInventoryDoesNotList() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2"])
    let view = builder.view([("host1", .leader, true, 100), ("host2", .follower, true, 100), ("stranger", .follower, true, 100)])
    #expect(builder.plan(.upgrade, view, requireAll: true).refusal?.contains("stranger are not in the inventory") == true)
    #expect(builder.plan(.restart, view).refusal == nil, "a restart of listed hosts does not need the others")
  }

  @Test func unknownHostsInTheFilterAreNamed() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2"])
    var options = RollingOptions(confirmation: Confirmation(assumeYes: true), binaryDirectory: "/nonexistent")
    options.hosts = ["host2", "host9"]
    #expect(throws: OpsError.self) { _ = try options.targets(in: builder.inventory) }
    do { _ = try options.targets(in: builder.inventory) } catch {
      #expect(error.description.contains("--hosts names host9, which the inventory does not list (it has host1, host2)"))
    }
    options.hosts = ["host2"]
    #expect(try options.targets(in: builder.inventory).map(\.name) == ["host2"])
  }
}

@Suite struct RollingGateTests {
  private func status(_ id: UInt64, leader: UInt64, index: UInt64, applied: UInt64? = nil) -> EndpointStatus {
    EndpointStatus(endpoint: try! EtcdEndpoint(parsing: "10.0.0.\(id):2379"), memberID: id, clusterID: 1, version: "3.4.30",
                   dbSize: 0, dbSizeInUse: 0, leaderID: leader, raftIndex: index, raftTerm: 3,
                   raftAppliedIndex: applied ?? index, revision: 1, isLearner: false, errors: [])
  }

  @Test func catchUpTargetIsFixedWhenTheMemberFirstAnswersSoALoadCannotHoldItShut() {
    var gate = CatchUp()
    let down = gate.observe(healthy: false, member: nil, leader: status(1, leader: 1, index: 500))
    #expect(!down)
    #expect(gate.target == nil, "no target until the member answers healthy")
    let behind = gate.observe(healthy: true, member: status(2, leader: 1, index: 480), leader: status(1, leader: 1, index: 500))
    #expect(!behind)
    #expect(gate.target == 500)
    // The leader moves on under load; reaching the first target is enough.
    let caughtUp = gate.observe(healthy: true, member: status(2, leader: 1, index: 505, applied: 501), leader: status(1, leader: 1, index: 540))
    #expect(caughtUp)
    #expect(gate.target == 500 && gate.reached == 501)
  }

  @Test func catchUpJudgesTheAppliedIndexNotJustTheCommittedOne() {
    var gate = CatchUp()
    let committedOnly = gate.observe(healthy: true, member: status(2, leader: 1, index: 100, applied: 90), leader: status(1, leader: 1, index: 100))
    #expect(!committedOnly)
    let applied = gate.observe(healthy: true, member: status(2, leader: 1, index: 101, applied: 100), leader: status(1, leader: 1, index: 120))
    #expect(applied)
    var fresh = CatchUp()
    let noLeader = fresh.observe(healthy: true, member: status(2, leader: 1, index: 100), leader: nil)
    #expect(!noLeader, "no leader, no gate")
  }

  @Test func leadershipGoesToAHealthyFollowerAlreadyDoneThenTheMostCaughtUp() throws {
    let builder = try ViewBuilder(hosts: ["host1", "host2", "host3", "host4"])
    let view = builder.view([("host1", .follower, true, 90), ("host2", .leader, true, 100),
                             ("host3", .follower, true, 99), ("host4", .follower, false, 100)])
    #expect(LeaderHandoff.successor(in: view, leaderID: 2, preferring: [])?.displayName == "host3")
    #expect(LeaderHandoff.successor(in: view, leaderID: 2, preferring: ["host1"])?.displayName == "host1")
    #expect(LeaderHandoff.successor(in: view, leaderID: 2, preferring: ["host4"])?.displayName == "host3", "never an unhealthy one")
    let alone = builder.view([("host1", .follower, false, 1), ("host2", .leader, true, 100)])
    #expect(LeaderHandoff.successor(in: alone, leaderID: 2, preferring: []) == nil)
  }
}

@Suite struct RollingCommandPartsTests {
  @Test func compactionTargetFollowsTheFlags() {
    #expect(Compactor.target(current: 120, revision: nil, keepRevisions: nil) == .compact(120))
    #expect(Compactor.target(current: 120, revision: 80, keepRevisions: nil) == .compact(80))
    #expect(Compactor.target(current: 120, revision: nil, keepRevisions: 20) == .compact(101), "revisions 101...120 stay readable")
    #expect(Compactor.target(current: 120, revision: nil, keepRevisions: 1) == Compactor.target(current: 120, revision: nil, keepRevisions: nil))
    guard case .refused(let future) = Compactor.target(current: 120, revision: 121, keepRevisions: nil) else {
      Issue.record("a future revision must be refused"); return
    }
    #expect(future == "revision 121 is in the future: the cluster's current revision is 120")
    guard case .nothing(let reason) = Compactor.target(current: 5, revision: nil, keepRevisions: 10) else {
      Issue.record("keeping more revisions than exist compacts nothing"); return
    }
    #expect(reason.contains("keeping the newest 10 leaves nothing to compact"))
  }

  @Test func runningServerProbeReadsTheProcessImageNotTheFile() {
    let paths = MemberPaths(host: try! ViewBuilder(hosts: ["h"]).inventory.hosts[0], server: .etcd)
    let supervised = RunningServer.probeCommand(kind: .process, serviceName: "etcd", paths: paths)
    #expect(supervised.contains("pgrep -P \"$p\""))
    #expect(supervised.contains("sha256sum /proc/$c/exe"))
    #expect(supervised.contains("'/var/log/swetcd/etcd.pid'"))
    #expect(RunningServer.probeCommand(kind: .systemd, serviceName: "etcd", paths: paths).contains("systemctl show -p MainPID --value 'etcd'"))
    let hash = String(repeating: "ab", count: 32)
    #expect(RunningServer.parse("4242 \(hash)\n") == RunningServer(pid: "4242", sha256: hash))
    #expect(RunningServer.parse("") == nil)
    #expect(RunningServer.parse("4242 \n") == nil)
  }

  @Test func versionTakesTheServerAndCtlFromTheReleaseFolderBesideTheInventory() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolling-release-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let release = "\(folder)/releases/3.4.99"
    try FileManager.default.createDirectory(atPath: release, withIntermediateDirectories: true)
    let yaml = "cluster:\n  name: c1\n  server: etcd\n  binary: /usr/bin/etcd\n  ctl_binary: /usr/bin/etcdctl\nssh:\n  user: root\n  key: /k\n  known_hosts: /kh\nhosts:\n  - { name: h1, address: 10.9.0.11 }\n"
    let inventory = try InventoryLoader.parse(yaml: yaml, file: "\(folder)/inventory.yml", baseDirectory: folder, home: "/root")
    #expect(throws: OpsError.self) { _ = try UpgradeBinaries.resolve(.version("3.4.99"), inventory: inventory) }
    do { _ = try UpgradeBinaries.resolve(.version("3.4.99"), inventory: inventory) } catch {
      #expect(error.description.contains("\(release)/etcd: not found"))
    }
    try Data("server".utf8).write(to: URL(fileURLWithPath: "\(release)/etcd"))
    try Data("ctl".utf8).write(to: URL(fileURLWithPath: "\(release)/etcdctl"))
    let binaries = try UpgradeBinaries.resolve(.version("v3.4.99"), inventory: inventory)
    #expect(binaries.server == "\(release)/etcd" && binaries.ctl == "\(release)/etcdctl")
    #expect(binaries.serverSHA256 == SHA256Hex.of(Data("server".utf8)))
    #expect(binaries.expectedVersion == "3.4.99")
    #expect(binaries.flags == "--version 'v3.4.99'")
    #expect(UpgradeBinaries.reportedVersion("etcd Version: 3.4.30\nGit SHA: Not provided\nGo Version: go1.19.8\n") == "3.4.30")
    #expect(UpgradeBinaries.reportedVersion("Go Version: go1.19.8\n") == nil)
  }
}
