import EtcdClient
import Foundation

/// `swetcd-ops replace-member`: adds the new host (learner first, promoted once caught up), then removes the old
/// member, so the cluster never has fewer voters than before.
public struct MemberReplacer: Sendable {
  public let inventory: Inventory
  public let old: String
  public let new: String
  public let options: MembershipOptions
  let say: @Sendable (String) -> Void

  public init(inventory: Inventory, old: String, new: String, options: MembershipOptions, say: @escaping @Sendable (String) -> Void) {
    self.inventory = inventory
    self.old = old
    self.new = new
    self.options = options
    self.say = say
  }

  public func run() async throws(OpsError) {
    guard old != new else { throw .refused(reason: "--host and --with name the same host") }
    let view = try await ClusterView.observe(inventory)
    let removing = try MemberRemover.find(.host(old), in: view, inventory: inventory)
    let adding = try MemberAdder.resolve([new], in: inventory)
    let addPlan = try MemberAdder.plan(hosts: adding, view: view, tls: inventory.cluster.tls)
    let voters = view.voters.count
    var lines = ["1. add \(new):"] + addPlan.lines.map { "   " + $0 }
    lines.append("2. remove \(old) (ID \(etcdIDString(removing.member.id))): \(QuorumMath(voters: voters + (addPlan.toJoin.isEmpty ? 0 : 1)).description) -> \(QuorumMath(voters: voters + (addPlan.toJoin.isEmpty ? 0 : 1) - (removing.member.isLearner ? 0 : 1)).description)")
    say("Cluster \(inventory.cluster.name) now:\n\(view.table)\n\nPlan\(options.dryRun ? " (dry run: nothing is changed)" : ""):\n\(lines.joined(separator: "\n"))")
    if options.dryRun { return }
    try options.confirmation.require("replace member \(old) with \(new) in cluster \(inventory.cluster.name)")
    let steps = MembershipSteps(inventory: inventory, options: options, say: say)
    // One snapshot before the add covers the removal too.
    try await steps.backupBeforeChange()
    var current = view
    if !addPlan.toJoin.isEmpty {
      current = try await MemberAdder(inventory: inventory, hostNames: [new], options: options, say: say).execute(addPlan, view: view)
    }
    // The removal is judged on the cluster after the add (one more voter), without printing another plan.
    let leaving = try MemberRemover.find(.host(old), in: current, inventory: inventory)
    _ = try MemberRemover.plan(removing: leaving, view: current)
    try await MemberRemover(inventory: inventory, target: .host(old), options: options, say: say).execute(removing: leaving, view: current)
  }
}
