import EtcdClient
import Foundation

/// `swetcd-ops add-member`: joins inventory hosts to the running cluster one at a time, learner first. For each:
/// preflight, an empty data dir (an old one is moved aside), its files rendered with initial-cluster-state
/// existing and the current membership, MemberAdd as a learner, start, wait until its log has caught up, promote
/// (retrying while etcd says it is not in sync), and wait for the whole cluster to be healthy. A learner that fails
/// is rolled back (removed, its service stopped); quorum never depends on it until it is promoted.
public struct MemberAdder: Sendable {
  public let inventory: Inventory
  public let hostNames: [String]
  public let options: MembershipOptions
  let say: @Sendable (String) -> Void

  public init(inventory: Inventory, hostNames: [String], options: MembershipOptions, say: @escaping @Sendable (String) -> Void) {
    self.inventory = inventory
    self.hostNames = hostNames
    self.options = options
    self.say = say
  }

  var steps: MembershipSteps { MembershipSteps(inventory: inventory, options: options, say: say) }
  var tls: Bool { inventory.cluster.tls }

  public func run() async throws(OpsError) {
    let hosts = try Self.resolve(hostNames, in: inventory)
    let view = try await ClusterView.observe(inventory)
    let plan = try Self.plan(hosts: hosts, view: view, tls: tls)
    say("Cluster \(inventory.cluster.name) now:\n\(view.table)\n\nPlan\(options.dryRun ? " (dry run: nothing is changed)" : ""):\n\(plan.lines.joined(separator: "\n"))")
    guard !options.dryRun, !plan.toJoin.isEmpty else { return }
    try options.confirmation.require("add \(plan.toJoin.map(\.name).joined(separator: ", ")) to cluster \(inventory.cluster.name)")
    try await steps.backupBeforeChange()
    _ = try await execute(plan, view: view)
  }

  /// Carries out a plan made (and shown, and confirmed) from `view`: joins its hosts one at a time, the first
  /// from `view` itself and each later one from a fresh look at the cluster (the previous join changed it).
  /// Takes no snapshot first: the caller does. Returns the cluster as it is afterwards.
  func execute(_ plan: Plan, view: ClusterView) async throws(OpsError) -> ClusterView {
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: options.binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      var current = view
      for (index, host) in plan.toJoin.enumerated() {
        if index > 0 { current = try await ClusterView.observe(inventory) }
        try await join(host, view: current, connected: connected)
      }
      await connected.closeAll()
    } catch {
      await connected.closeAll()
      throw error
    }
    let after = try await ClusterView.observe(inventory)
    say("Cluster \(inventory.cluster.name) after adding \(plan.toJoin.map(\.name).joined(separator: ", ")):\n\(after.table)")
    guard after.allHealthy else {
      throw .stopped(step: "final health check", message: "not every member is healthy", resume: "check `swetcd-ops status` and the members' logs")
    }
    return after
  }

  static func resolve(_ names: [String], in inventory: Inventory) throws(OpsError) -> [HostSpec] {
    guard !names.isEmpty else { throw .refused(reason: "name at least one host to add with --host NAME") }
    var hosts: [HostSpec] = []
    for name in names {
      guard let host = inventory.host(named: name) else {
        throw .refused(reason: "host \(name) is not in \(inventory.file) (hosts: \(inventory.hosts.map(\.name).joined(separator: ", "))); add it to the inventory first")
      }
      if !hosts.contains(host) { hosts.append(host) }
    }
    return hosts
  }

  /// What add-member will do, with the quorum arithmetic of each step, or why it refuses.
  struct Plan {
    var toJoin: [HostSpec]
    var lines: [String]
  }

  static func plan(hosts: [HostSpec], view: ClusterView, tls: Bool) throws(OpsError) -> Plan {
    let targets = Set(hosts.compactMap { view.entry(for: $0, tls: tls)?.member.id })
    let unhealthy = view.entries.filter { !$0.isHealthy && !targets.contains($0.member.id) && !$0.member.isLearner }
    if !unhealthy.isEmpty {
      throw .refused(reason: "member(s) \(unhealthy.map(\.displayName).joined(separator: ", ")) are not healthy; adding a member to a degraded cluster risks its quorum. Fix them first (`swetcd-ops status`), or remove a dead one with remove-member")
    }
    let otherLearners = view.learners.filter { !targets.contains($0.member.id) }
    if let learner = otherLearners.first {
      throw .refused(reason: "the cluster already has a learner (\(learner.displayName), ID \(etcdIDString(learner.member.id))) and etcd allows one at a time; promote it or remove it first")
    }
    var voters = view.voters.count
    var lines: [String] = []
    var toJoin: [HostSpec] = []
    for host in hosts {
      let entry = view.entry(for: host, tls: tls)
      if let entry, !entry.member.isLearner, entry.member.isStarted {
        lines.append("- \(host.name): already a voting member (ID \(etcdIDString(entry.member.id))); nothing to do")
        continue
      }
      toJoin.append(host)
      let before = QuorumMath(voters: voters)
      if let entry, entry.member.isLearner {
        lines.append("- \(host.name): already a learner (ID \(etcdIDString(entry.member.id))): resume: start it if needed, wait for it to catch up, promote")
      } else if let entry {
        lines.append("- \(host.name): already added as a voter but never started (ID \(etcdIDString(entry.member.id))): deploy and start it")
        voters -= 1
      } else {
        lines.append("- \(host.name): preflight; data dir emptied (anything there is moved aside, never deleted); files rendered with initial-cluster-state existing")
        lines.append("  add \(host.peerURL(tls: tls)) as a LEARNER: it receives the log but does not vote; quorum stays \(before.quorum) of \(before.voters)")
      }
      let after = QuorumMath(voters: voters + 1)
      lines.append("  start it, wait until its raft index has caught up with the leader's, then promote it: \(before.description) -> \(after.description)")
      if before.voters == 1 {
        lines.append("  note: the cluster has 1 voter; while \(host.name) is a learner the cluster keeps running on that voter alone (learner-first makes this safe), but once promoted BOTH voters are needed for quorum (2 voters tolerate 0 failures): add a third member to tolerate one")
      } else if after.voters % 2 == 0 {
        lines.append("  note: \(after.voters) voters tolerate no more failures than \(after.voters - 1), and need \(after.quorum) for quorum; an odd count is better")
      }
      voters += 1
    }
    if toJoin.isEmpty { lines.append("nothing to do") }
    else if toJoin.count > 1 { lines.append("hosts join one at a time, in this order; each is healthy before the next starts") }
    return Plan(toJoin: toJoin, lines: lines)
  }
}
