/// What decides whether a data-dir copy may stop a member: its role, health and progress.
public struct DataDirCandidate: Sendable, Hashable {
  /// The inventory host name (or the member name when the inventory lacks it).
  public var name: String
  public var isVoter: Bool
  public var isLeader: Bool
  public var isHealthy: Bool
  public var raftIndex: UInt64
  /// Whether the inventory has the host (it must, to reach its files over SSH).
  public var inInventory: Bool

  public init(name: String, isVoter: Bool, isLeader: Bool, isHealthy: Bool, raftIndex: UInt64, inInventory: Bool) {
    self.name = name
    self.isVoter = isVoter
    self.isLeader = isLeader
    self.isHealthy = isHealthy
    self.raftIndex = raftIndex
    self.inInventory = inInventory
  }
}

/// Picks the member whose data dir is copied and checks, with the quorum arithmetic, that stopping it keeps the
/// cluster committing. Pure: `DataDirCopy` observes the cluster, this decides.
public enum DataDirCopyPlan {
  /// - Parameter requested: `--member NAME`; without it the healthy follower furthest ahead (voters first).
  /// - Throws: `OpsError.refused` with the reason and what to do.
  public static func choose(_ members: [DataDirCandidate], requested: String?) throws(OpsError) -> DataDirCandidate {
    let chosen: DataDirCandidate
    if let requested {
      guard let found = members.first(where: { $0.name == requested }) else {
        throw .refused(reason: "\(requested) is not a member of the cluster (members: \(members.map(\.name).joined(separator: ", "))); pass --member with one of them")
      }
      guard found.inInventory else {
        throw .refused(reason: "\(requested) is a member but not in the inventory, so its files cannot be reached; add it to the inventory or pick another member")
      }
      chosen = found
    } else {
      let followers = members.filter { $0.inInventory && $0.isHealthy && !$0.isLeader }
        .sorted { ($0.isVoter ? 1 : 0, $0.raftIndex) > ($1.isVoter ? 1 : 0, $1.raftIndex) }
      guard let first = followers.first else {
        throw .refused(reason: "no healthy follower in the inventory to stop (\(members.count) member(s), \(members.filter(\.isHealthy).count) healthy); check `swetcd-ops status`, or take a snapshot with `swetcd-ops backup`, which stops nothing")
      }
      chosen = first
    }
    guard chosen.isHealthy else {
      throw .refused(reason: "\(chosen.name) is not healthy, so its data dir may be stale or damaged; pick a healthy member (--member) or bring it back first (`swetcd-ops status`)")
    }
    let voters = members.filter(\.isVoter)
    let math = QuorumMath(voters: voters.count)
    let remaining = voters.filter { $0.isHealthy && $0.name != chosen.name }.count
    guard math.holds(healthy: remaining) else {
      throw .refused(reason: "stopping \(chosen.name) would leave \(remaining) healthy voter\(remaining == 1 ? "" : "s") (\(math.description)): the cluster would stop accepting writes until it is back. Bring the unhealthy members back first (`swetcd-ops status`), or take a snapshot with `swetcd-ops backup`, which stops nothing")
    }
    return chosen
  }

  /// "while host2 is down: 2 of 3 voters healthy, quorum 2".
  public static func quorumLine(_ members: [DataDirCandidate], stopping name: String) -> String {
    let voters = members.filter(\.isVoter)
    let remaining = voters.filter { $0.isHealthy && $0.name != name }.count
    return "while \(name) is down: \(remaining) of \(voters.count) voters healthy, quorum \(QuorumMath(voters: voters.count).quorum)"
  }
}
