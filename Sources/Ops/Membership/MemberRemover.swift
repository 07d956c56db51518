import EtcdClient
import Foundation

/// `swetcd-ops remove-member`: removes one member, never breaking quorum. Leadership is handed away first if it
/// leads; after the removal its service is stopped and its data dir moved aside (when its host still answers
/// over SSH). A dead host is removed by name or by member ID without SSH.
public struct MemberRemover: Sendable {
  public enum Target: Sendable, Hashable {
    case host(String)
    case id(UInt64)
  }

  public let inventory: Inventory
  public let target: Target
  public let options: MembershipOptions
  let say: @Sendable (String) -> Void

  public init(inventory: Inventory, target: Target, options: MembershipOptions, say: @escaping @Sendable (String) -> Void) {
    self.inventory = inventory
    self.target = target
    self.options = options
    self.say = say
  }

  var steps: MembershipSteps { MembershipSteps(inventory: inventory, options: options, say: say) }
  var tls: Bool { inventory.cluster.tls }

  public func run() async throws(OpsError) {
    let view = try await ClusterView.observe(inventory)
    let entry = try Self.find(target, in: view, inventory: inventory)
    let plan = try Self.plan(removing: entry, view: view)
    say("Cluster \(inventory.cluster.name) now:\n\(view.table)\n\nPlan\(options.dryRun ? " (dry run: nothing is changed)" : ""):\n\(plan.joined(separator: "\n"))")
    if options.dryRun { return }
    try options.confirmation.require("remove member \(entry.displayName) (ID \(etcdIDString(entry.member.id))) from cluster \(inventory.cluster.name)")
    let survivors = view.entries.filter { $0.member.id != entry.member.id }
    try await steps.backupBeforeChange(from: survivors.first(where: { $0.status?.isLeader == true && $0.isHealthy })?.host?.name
                                        ?? survivors.first(where: \.isHealthy)?.host?.name)
    try await execute(removing: entry, view: view)
  }

  /// Carries out the removal of `entry`, planned (and shown, and confirmed) from `view`: leadership handed away
  /// if it leads, MemberRemove, then its service stopped and its data moved aside. Takes no snapshot first: the
  /// caller does.
  func execute(removing entry: ClusterView.Entry, view: ClusterView) async throws(OpsError) {
    let survivors = view.entries.filter { $0.member.id != entry.member.id }
    try await steps.client(endpoints: survivors.compactMap(\.endpoint) + [entry.endpoint].compactMap { $0 }).closing { client async throws(OpsError) in
      try await remove(entry, survivors: survivors, client: client)
    }
    try await cleanUp(entry)
    let after = try await ClusterView.observe(inventory)
    say("Cluster \(inventory.cluster.name) after removing \(entry.displayName):\n\(after.table)")
    if let host = entry.host {
      say("remove \(host.name) from \(inventory.file) now, or a later deploy will try to set it up again (deploy refuses to start a host the running members do not know)")
    }
  }

  static func find(_ target: Target, in view: ClusterView, inventory: Inventory) throws(OpsError) -> ClusterView.Entry {
    switch target {
    case .host(let name):
      guard let host = inventory.host(named: name) else {
        throw .refused(reason: "host \(name) is not in \(inventory.file); to remove a member the inventory does not list, use --id with its member ID (`swetcd-ops status`)")
      }
      guard let entry = view.entry(for: host, tls: inventory.cluster.tls) else {
        throw .refused(reason: "\(name) is not a member of cluster \(inventory.cluster.name) (members: \(view.entries.map(\.displayName).joined(separator: ", "))); nothing to remove")
      }
      return entry
    case .id(let id):
      guard let entry = view.entries.first(where: { $0.member.id == id }) else {
        throw .refused(reason: "no member has ID \(etcdIDString(id)) (members: \(view.entries.map { "\($0.displayName)=\(etcdIDString($0.member.id))" }.joined(separator: ", ")))")
      }
      return entry
    }
  }

  /// The plan with the quorum arithmetic, or the refusal when the removal would break quorum.
  static func plan(removing entry: ClusterView.Entry, view: ClusterView) throws(OpsError) -> [String] {
    let name = entry.displayName
    if entry.member.isLearner {
      return ["- remove learner \(name) (ID \(etcdIDString(entry.member.id))): it does not vote, so quorum is unchanged (\(view.quorum.description))",
              "- stop its service and move its data dir aside (if its host answers over SSH)"]
    }
    let before = view.quorum
    guard before.voters > 1 else {
      throw .refused(reason: "\(name) is the only voting member; removing it would leave no cluster. Use restore or deploy a new cluster instead")
    }
    let after = QuorumMath(voters: before.voters - 1)
    let healthyOthers = view.voters.filter { $0.member.id != entry.member.id && $0.isHealthy }.count
    guard after.holds(healthy: healthyOthers) else {
      throw .refused(reason: "after removing \(name) the cluster would have \(after.voters) voter(s) needing \(after.quorum) for quorum, but only \(healthyOthers) of them are healthy; bring the unhealthy members back first (`swetcd-ops status`)")
    }
    var lines = ["- \(before.description) -> \(after.description); \(healthyOthers) of the remaining \(after.voters) are healthy, so quorum holds throughout"]
    if entry.status?.isLeader == true { lines.append("- \(name) is the leader: hand leadership to a healthy voter first (MoveLeader)") }
    lines.append("- remove \(name) (ID \(etcdIDString(entry.member.id))) with MemberRemove")
    lines.append(entry.host == nil ? "- its host is not in the inventory: its service and data are left alone"
                 : "- stop its service and move its data dir aside (if its host answers over SSH; a dead host is only removed from the membership)")
    if after.voters % 2 == 0 { lines.append("- note: \(after.voters) voters tolerate no more failures than \(after.voters - 1); add a member back soon (replace-member does both)") }
    return lines
  }

  private func remove(_ entry: ClusterView.Entry, survivors: [ClusterView.Entry], client: EtcdClient) async throws(OpsError) {
    if entry.status?.isLeader == true {
      guard let heir = survivors.filter({ !$0.member.isLearner && $0.isHealthy }).max(by: { ($0.status?.raftIndex ?? 0) < ($1.status?.raftIndex ?? 0) }) else {
        throw .refused(reason: "no healthy voter to hand leadership to")
      }
      do {
        try await client.moveLeader(to: heir.member.id)
        say("leadership moved from \(entry.displayName) to \(heir.displayName)")
      } catch {
        throw .stopped(step: "moving leadership away from \(entry.displayName)", message: error.description,
                       resume: "the membership did not change; run remove-member again")
      }
    }
    do {
      _ = try await steps.retryingUnhealthy(client) { connection async throws(EtcdClientError) in
        try await connection.memberRemove(id: entry.member.id)
      }
    } catch {
      throw .stopped(step: "MemberRemove of \(entry.displayName)", message: error.description,
                     resume: "the membership did not change; check `swetcd-ops status` and run remove-member again")
    }
    say("removed \(entry.displayName) (ID \(etcdIDString(entry.member.id))) from the membership")
  }

  /// Stops the removed member's service and moves its data aside, when its host answers.
  private func cleanUp(_ entry: ClusterView.Entry) async throws(OpsError) {
    guard let host = entry.host else { return }
    let member: Member
    do {
      member = try await Member.connect(to: host, inventory: inventory, binaryDirectory: options.binaryDirectory,
                                        acceptNewHostKeys: options.acceptNewHostKeys)
    } catch {
      say("\(host.name) does not answer over SSH (\(error.description)): it is removed from the membership; its service and data were left as they are. If it comes back, its server finds itself removed and stops; then run remove-member's cleanup by hand: stop \(host.node.serviceName) and move \(host.node.dataDirectory) aside")
      return
    }
    do throws(OpsError) {
      let service = member.service
      try await service.stop()
      say("\(host.name): stopped \(host.node.serviceName)")
      do throws(OpsError) { try await service.disable() } catch {
        say("\(host.name): could not disable \(host.node.serviceName) (\(error.description)); it is stopped, but would start at boot and find itself removed: disable it by hand")
      }
      for path in try await steps.moveDataAside(member, reason: "removed", stamp: UTCStamp.string()) {
        say("\(host.name): data moved aside to \(path) (delete it when you no longer need it)")
      }
      await member.connection.close()
    } catch {
      await member.connection.close()
      throw .stopped(step: "cleaning up \(host.name)", message: error.description,
                     resume: "\(host.name) is no longer a member; stop its service and move its data dir aside by hand")
    }
  }
}
