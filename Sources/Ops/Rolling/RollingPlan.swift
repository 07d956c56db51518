import EtcdClient
import Foundation

/// What a rolling command does to each member, one member at a time.
public enum RollingKind: String, Sendable {
  case restart, upgrade, defrag

  /// The verb the plan and the messages use.
  var verb: String {
    switch self {
    case .restart: return "restart"
    case .upgrade: return "upgrade"
    case .defrag: return "defragment"
    }
  }

  /// Whether the member's server goes down while it is worked on (defragmentation only pauses it).
  var takesMemberDown: Bool { self != .defrag }
}

/// One member of a rolling plan and the reason it is (or is not) touched.
public struct RollingStep: Sendable, Hashable {
  public enum Role: String, Sendable { case learner, follower, leader }

  public var name: String
  public var memberID: UInt64
  public var role: Role
  /// What happens to this member beyond the kind's action (e.g. the binaries pushed), for the plan.
  public var detail: String?

  public init(name: String, memberID: UInt64, role: Role, detail: String? = nil) {
    self.name = name
    self.memberID = memberID
    self.role = role
    self.detail = detail
  }
}

/// The order in which a rolling restart, upgrade or defragmentation visits the members, the members it skips, the
/// quorum arithmetic and whether a guardrail refuses it. Made from a `ClusterView` without touching anything.
public struct RollingPlan: Sendable {
  public var kind: RollingKind
  public var clusterName: String
  /// Learners first, then followers in inventory order, the leader last.
  public var steps: [RollingStep]
  /// Members left alone and why ("already runs the new binary").
  public var skipped: [(name: String, reason: String)]
  public var quorum: QuorumMath
  /// Why the plan must not run, or nil.
  public var refusal: String?
  /// Said in the plan when the rolling change costs availability (a 1-member cluster).
  public var warning: String?
  /// How long each member may take to become healthy and catch up.
  public var gateTimeout: Duration

  /// The members left to do after the first `done` steps, by name.
  public func left(after done: Int) -> [String] { steps.dropFirst(done).map(\.name) }

  /// "3 voters, quorum 2: one member down at a time keeps 2 of 3".
  public var quorumLine: String {
    let voters = quorum.voters
    guard kind.takesMemberDown else {
      return "\(voters) voter\(voters == 1 ? "" : "s"), quorum \(quorum.quorum): a member being defragmented pauses but stays a member, so quorum is not at stake"
    }
    if voters == 1 {
      return "1 voter, quorum 1: restarting it takes the cluster down until it is back (downtime)"
    }
    let up = voters - 1
    let keeps = quorum.holds(healthy: up) ? "keeps" : "leaves only"
    return "\(voters) voters, quorum \(quorum.quorum): one member down at a time \(keeps) \(up) of \(voters)"
  }

  /// Builds the plan.
  /// - Parameters:
  ///   - view: the cluster as observed now.
  ///   - targets: the inventory hosts to visit (all, or those named by --hosts), in inventory order.
  ///   - skip: per host name, why it needs nothing (e.g. already on the wanted binary); those are not visited.
  ///   - details: per host name, what the step does beyond the kind's action.
  ///   - requireAllMembersInInventory: refuse when the cluster has voters the inventory does not list (an upgrade
  ///     could not reach them).
  public static func make(
    kind: RollingKind, clusterName: String, view: ClusterView, targets: [HostSpec], tls: Bool,
    skip: [String: String] = [:], details: [String: String] = [:], requireAllMembersInInventory: Bool = false,
    gateTimeout: Duration = .seconds(120)
  ) -> RollingPlan {
    var plan = RollingPlan(kind: kind, clusterName: clusterName, steps: [], skipped: [], quorum: view.quorum,
                           refusal: nil, warning: nil, gateTimeout: gateTimeout)
    var learners: [RollingStep] = [], followers: [RollingStep] = [], leaders: [RollingStep] = []
    var notMembers: [String] = []
    for host in targets {
      guard let entry = view.entry(for: host, tls: tls) else {
        notMembers.append(host.name)
        continue
      }
      if let reason = skip[host.name] {
        plan.skipped.append((host.name, reason))
        continue
      }
      let role: RollingStep.Role = entry.member.isLearner ? .learner : (entry.status?.isLeader == true ? .leader : .follower)
      let step = RollingStep(name: host.name, memberID: entry.member.id, role: role, detail: details[host.name])
      switch role {
      case .learner: learners.append(step)
      case .follower: followers.append(step)
      case .leader: leaders.append(step)
      }
    }
    plan.steps = learners + followers + leaders
    plan.refusal = refusal(kind: kind, view: view, notMembers: notMembers,
                           requireAllMembersInInventory: requireAllMembersInInventory)
    if kind.takesMemberDown, view.voters.count == 1, plan.steps.contains(where: { $0.role != .learner }) {
      plan.warning = "DOWNTIME: this cluster has a single voter; while it \(kind == .upgrade ? "is upgraded" : "restarts") the cluster serves no reads or writes. Add members (swetcd-ops add-member) to restart without downtime."
    }
    return plan
  }

  /// The guardrails, in the order an operator would fix them.
  static func refusal(kind: RollingKind, view: ClusterView, notMembers: [String], requireAllMembersInInventory: Bool) -> String? {
    if !notMembers.isEmpty {
      return "\(notMembers.joined(separator: ", ")) \(notMembers.count == 1 ? "is" : "are") in the inventory but not a member of the cluster; add \(notMembers.count == 1 ? "it" : "them") first (swetcd-ops add-member) or leave \(notMembers.count == 1 ? "it" : "them") out with --hosts"
    }
    if requireAllMembersInInventory {
      let outside = view.entries.filter { $0.host == nil }.map(\.displayName)
      if !outside.isEmpty {
        return "member(s) \(outside.joined(separator: ", ")) are not in the inventory, so they could not be \(kind == .upgrade ? "upgraded" : "reached over SSH"); add them to the inventory first"
      }
    }
    let unhealthy = view.entries.filter { !$0.isHealthy }
    if !unhealthy.isEmpty {
      let list = unhealthy.map { entry -> String in
        let why = entry.status == nil ? "unreachable" : "unhealthy"
        return "\(entry.displayName) is \(why)\(entry.health?.error.map { " (\(ClusterProbe.short($0)))" } ?? "")"
      }
      return "the cluster is not healthy: \(list.joined(separator: "; ")); a rolling \(kind.verb) starts only from a healthy cluster. Fix it (swetcd-ops status shows why) and run again"
    }
    if view.leader == nil {
      return "no member reports itself leader (an election may be under way); wait a few seconds and run again"
    }
    // Every member is healthy here; the question is whether the others keep quorum while one is down.
    if kind.takesMemberDown, view.voters.count > 1, !view.quorum.holds(healthy: view.healthyVoters - 1) {
      let voters = view.voters.count, up = view.healthyVoters - 1
      return "\(voters) voters need a quorum of \(view.quorum.quorum): while one member is down for its \(kind.verb), only \(up) of \(voters) would be up, below quorum, so the cluster would stop serving writes until that member is back. Add a member first (swetcd-ops add-member) so that one can be down while the others keep quorum (3 voters tolerate 1 failure)"
    }
    return nil
  }

  /// The plan as printed under --dry-run and before asking for confirmation.
  public func render(view: ClusterView) -> String {
    var lines = [view.table, ""]
    if steps.isEmpty {
      lines.append("Nothing to \(kind.verb).")
    } else {
      lines.append("Order (one member at a time; learners, then followers, the leader last):")
      let width = steps.map(\.name.count).max() ?? 0
      for (index, step) in steps.enumerated() {
        var action = kind == .defrag ? "defragment" : (kind == .upgrade ? "upgrade and restart" : "restart")
        if step.role == .leader, view.voters.count > 1, kind.takesMemberDown {
          action = "move leadership to a healthy follower, then \(action)"
        }
        let name = step.name.padding(toLength: width, withPad: " ", startingAt: 0)
        lines.append("  \(index + 1). \(name)  \(step.role.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(action)\(step.detail.map { ": \($0)" } ?? "")")
      }
    }
    for (name, reason) in skipped { lines.append("  skip \(name): \(reason)") }
    lines.append("Quorum: \(quorumLine)")
    if !steps.isEmpty {
      let gate = kind.takesMemberDown
        ? "the member healthy again and its raft index caught up with the leader's"
        : "the member healthy again"
      lines.append("Between members: every member healthy before each step; after it, \(gate) (deadline \(gateTimeout.components.seconds) s), else stop.")
    }
    if let warning { lines.append(warning) }
    if let refusal { lines.append("REFUSED: \(refusal)") }
    return lines.joined(separator: "\n")
  }

  /// The phrase the confirmation prompt shows.
  public var confirmationAction: String {
    let names = steps.map(\.name)
    let order = names.count > 1 ? names.dropLast().joined(separator: ", ") + ", then " + names.last! : names.joined()
    return "\(kind.verb) \(steps.count) member\(steps.count == 1 ? "" : "s") of cluster \(clusterName) one at a time (\(order))"
  }
}
