// Membership, per-member progress, votes and majority (quorum) arithmetic.

/// The outcome of an election so far.
enum VoteResult: Sendable, Hashable {
  case pending, won, lost
}

/// Tracks the configuration, the progress of every member and the votes of the current election.
struct ProgressTracker: Sendable {
  var voters: Set<NodeID> = []
  var learners: Set<NodeID> = []
  var progress: [NodeID: Progress] = [:]
  var votes: [NodeID: Bool] = [:]
  let maxInflight: Int

  init(maxInflight: Int) { self.maxInflight = maxInflight }

  var confState: ConfState { ConfState(voters: voters, learners: learners) }

  /// The size of a majority of the voters.
  var quorum: Int { voters.count / 2 + 1 }

  var isSingleton: Bool { voters.count == 1 }

  /// All member IDs in ascending order (deterministic iteration).
  var sortedIDs: [NodeID] { progress.keys.sorted() }

  /// The largest index acknowledged by a majority of the voters (`UInt64.max` for an empty voter set).
  func committed() -> LogIndex {
    if voters.isEmpty { return .max }
    let matches = voters.map { progress[$0]?.match ?? 0 }.sorted(by: >)
    return matches[quorum - 1]
  }

  mutating func resetVotes() { votes = [:] }

  mutating func recordVote(_ id: NodeID, granted: Bool) {
    if votes[id] == nil { votes[id] = granted }
  }

  /// Counts the votes of voters only (learners never count).
  func tallyVotes() -> (granted: Int, rejected: Int, result: VoteResult) {
    var granted = 0
    var rejected = 0
    for id in voters {
      switch votes[id] {
      case true?: granted += 1
      case false?: rejected += 1
      case nil: break
      }
    }
    let missing = voters.count - granted - rejected
    if granted >= quorum { return (granted, rejected, .won) }
    if granted + missing >= quorum { return (granted, rejected, .pending) }
    return (granted, rejected, .lost)
  }

  /// Whether a majority of voters acknowledged the given set (ReadIndex acks).
  func hasQuorum(_ acks: Set<NodeID>) -> Bool {
    voters.filter { acks.contains($0) }.count >= quorum
  }

  /// Whether a majority of voters were recently active (CheckQuorum).
  func quorumActive() -> Bool {
    voters.filter { progress[$0]?.recentActive ?? false }.count >= quorum
  }
}
