@testable import EtcdClient
import Testing
@testable import Ops

/// The decisions add-member and remove-member make from the observed cluster, without a cluster.
@Suite struct MembershipPlanTests {
  static let inventory: Inventory = {
    var yaml = "cluster:\n  name: plan\n  tls: false\nhosts:\n"
    for index in 1...5 { yaml += "  - { name: host\(index), address: 10.0.0.\(index), connection: local }\n" }
    return try! InventoryLoader.parse(yaml: yaml, file: "inv.yml", baseDirectory: "/srv/ops", home: "/home/op")
  }()

  /// A view of hosts 1...voters as voters (host1 leads), each healthy unless listed.
  static func view(voters: Int, unhealthy: Set<String> = [], learners: [String] = []) -> ClusterView {
    var entries: [ClusterView.Entry] = []
    for (index, host) in inventory.hosts.enumerated() where index < voters || learners.contains(host.name) {
      let id = UInt64(index + 1)
      let member = ClusterMember(id: id, name: host.name, peerURLs: [host.peerURL(tls: false)],
                                 clientURLs: [host.clientURL(tls: false)], isLearner: learners.contains(host.name))
      let healthy = !unhealthy.contains(host.name)
      let endpoint = EtcdEndpoint(scheme: .http, host: host.address, port: 2379)
      let status = EndpointStatus(endpoint: endpoint, memberID: id, clusterID: 7, version: "3.4.23", dbSize: 0, dbSizeInUse: 0,
                                  leaderID: 1, raftIndex: 100, raftTerm: 2, raftAppliedIndex: 100, revision: 1,
                                  isLearner: member.isLearner, errors: [])
      entries.append(.init(member: member, host: host, endpoint: host.clientURL(tls: false), status: healthy ? status : nil,
                           health: EndpointHealth(endpoint: endpoint, isHealthy: healthy, took: .zero, error: healthy ? nil : "unreachable")))
    }
    return ClusterView(entries: entries)
  }

  static func hosts(_ names: String...) -> [HostSpec] { names.map { inventory.host(named: $0)! } }

  @Test func addingTwoHostsShowsEachStepsQuorumArithmetic() throws {
    let plan = try MemberAdder.plan(hosts: Self.hosts("host4", "host5"), view: Self.view(voters: 3), tls: false)
    #expect(plan.toJoin.map(\.name) == ["host4", "host5"])
    let text = plan.lines.joined(separator: "\n")
    #expect(text.contains("add http://10.0.0.4:2380 as a LEARNER: it receives the log but does not vote; quorum stays 2 of 3"))
    #expect(text.contains("3 voters, quorum 2, tolerates 1 failure -> 4 voters, quorum 3, tolerates 1 failure"))
    #expect(text.contains("note: 4 voters tolerate no more failures than 3"))
    #expect(text.contains("4 voters, quorum 3, tolerates 1 failure -> 5 voters, quorum 3, tolerates 2 failures"))
  }

  @Test func addingToADegradedClusterOrBesideAnotherLearnerIsRefused() {
    #expect(throws: OpsError.self) { try MemberAdder.plan(hosts: Self.hosts("host4"), view: Self.view(voters: 3, unhealthy: ["host2"]), tls: false) }
    #expect(throws: OpsError.self) { try MemberAdder.plan(hosts: Self.hosts("host5"), view: Self.view(voters: 3, learners: ["host4"]), tls: false) }
    // The learner being resumed is not "another" learner.
    let resumed = try? MemberAdder.plan(hosts: Self.hosts("host4"), view: Self.view(voters: 3, unhealthy: ["host4"], learners: ["host4"]), tls: false)
    #expect(resumed?.lines.first?.contains("already a learner") == true)
  }

  @Test func aVotingMemberIsNotAddedAgain() throws {
    let plan = try MemberAdder.plan(hosts: Self.hosts("host2"), view: Self.view(voters: 3), tls: false)
    #expect(plan.toJoin.isEmpty)
    #expect(plan.lines.first?.contains("host2: already a voting member") == true)
  }

  @Test func removalIsRefusedWhenTheRemainingHealthyVotersCannotMakeAQuorum() throws {
    let threeWithOneDown = Self.view(voters: 3, unhealthy: ["host3"])
    let host2 = try MemberRemover.find(.host("host2"), in: threeWithOneDown, inventory: Self.inventory)
    #expect(throws: OpsError.self) { try MemberRemover.plan(removing: host2, view: threeWithOneDown) }
    // Removing the dead one itself is fine: the other two are healthy and are the quorum of 2.
    let dead = try MemberRemover.find(.host("host3"), in: threeWithOneDown, inventory: Self.inventory)
    let plan = try MemberRemover.plan(removing: dead, view: threeWithOneDown).joined(separator: "\n")
    #expect(plan.contains("3 voters, quorum 2, tolerates 1 failure -> 2 voters, quorum 2, tolerates 0 failures"))
    let single = Self.view(voters: 1)
    #expect(throws: OpsError.self) { try MemberRemover.plan(removing: single.entries[0], view: single) }
  }

  @Test func removingTheLeaderHandsLeadershipOverFirst() throws {
    let view = Self.view(voters: 3)
    let leader = try MemberRemover.find(.host("host1"), in: view, inventory: Self.inventory)
    #expect(try MemberRemover.plan(removing: leader, view: view).contains { $0.contains("is the leader: hand leadership to a healthy voter first") })
    #expect(throws: OpsError.self) { try MemberRemover.find(.id(0xdead), in: view, inventory: Self.inventory) }
    #expect(try MemberRemover.find(.id(2), in: view, inventory: Self.inventory).member.name == "host2")
  }

  @Test func bootstrapValuesAreReadBackFromARenderedConfig() {
    let config = """
      ETCD_NAME="host4"
      ETCD_INITIAL_CLUSTER="host1=https://10.0.0.1:2380,host4=https://10.0.0.4:2380"
      ETCD_INITIAL_CLUSTER_TOKEN="plan"
      ETCD_INITIAL_CLUSTER_STATE="existing"
      """
    let values = BootstrapValues.parse(config: config)
    #expect(values == BootstrapValues(initialCluster: "host1=https://10.0.0.1:2380,host4=https://10.0.0.4:2380", state: .existing, token: "plan"))
    #expect(values?.memberNames == ["host1", "host4"])
    #expect(BootstrapValues.parse(config: "ETCD_NAME=\"x\"\n") == nil)
  }
}
