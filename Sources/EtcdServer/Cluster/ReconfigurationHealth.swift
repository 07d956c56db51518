// etcd 3.4's connectivity rule for membership changes under --strict-reconfig-check: the member that takes the
// request refuses it with "etcdserver: unhealthy cluster" when its own peer connections say the change could break
// the quorum that is actually reachable. Connected means the message stream to the peer has been up for the last
// 5 s (etcd's HealthInterval), so a change right after a member (re)started is refused until the links settle.

/// The local member's view of which voters it has been connected to, and etcd's two rules built on it.
struct ReconfigurationHealth: Sendable {
  /// How long a peer's stream must have been up to count as connected (etcd's HealthInterval).
  static let interval = Duration.seconds(5)

  /// This member's ID (it always counts as connected to itself).
  let localID: UInt64
  /// The voters' IDs, this member included when it is one.
  let voters: [UInt64]
  /// Since when each peer's stream has been up (absent: down or never connected).
  let activeSince: [UInt64: ContinuousClock.Instant]
  /// The time the rule is evaluated at.
  let now: ContinuousClock.Instant

  /// Whether this member has been connected to `peer` for the whole interval (itself: always).
  func isConnected(_ peer: UInt64) -> Bool {
    if peer == localID { return true }
    guard let since = activeSince[peer] else { return false }
    return since < now - Self.interval
  }

  /// etcd's isConnectedFullySince: connected to every voter. MemberAdd (voter or learner) needs it.
  var allowsAdd: Bool { voters.allSatisfy(isConnected) }

  /// The number of voters this member has been connected to (itself included: etcd's numConnectedSince).
  var connectedVoters: Int { voters.filter(isConnected).count }

  /// etcd's rule for removing the voter `id`: a member whose stream is down right now is not part of the active
  /// quorum and may always go; otherwise the connected voters other than it must still make a quorum of the
  /// current voters.
  func allowsRemove(_ id: UInt64) -> Bool {
    if id != localID && activeSince[id] == nil { return true }
    return connectedVoters - 1 >= 1 + (voters.count - 1) / 2
  }
}
