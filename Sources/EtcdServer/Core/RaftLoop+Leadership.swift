// The Raft loop's leadership and configuration log lines: etcd's raft logs every role change, every leader it learns
// or loses ("... became leader at term 2", "raft.node: ... elected leader ... at term 2") and every configuration
// ("... switched to configuration voters=(...) learners=(...)"). Operators read elections and membership from them,
// and the tests time failovers and order learner promotions with them.

import Raft

extension RaftLoop {
  /// Logs what changed between the last soft state and `soft`, at `term` (the term of the Ready that carried it).
  func logLeadership(from previous: SoftState, to soft: SoftState, term: Term) {
    let me = String(node.id, radix: 16)
    if soft.role != previous.role {
      log.info("\(me) became \(Self.roleName(soft.role)) at term \(term)")
    }
    guard soft.leader != previous.leader else { return }
    if previous.leader != 0 {
      log.info("raft.node: \(me) lost leader \(String(previous.leader, radix: 16)) at term \(term)")
    }
    if soft.leader != 0 {
      log.info("raft.node: \(me) elected leader \(String(soft.leader, radix: 16)) at term \(term)")
    }
  }

  /// Vote traffic, in the words of etcd's raft lines ("... sent MsgVote request to ... at term N", "... received
  /// MsgVoteResp rejection from ..."): rare (elections only), and what explains a slow election.
  func logVoteTraffic(_ message: Message, sent: Bool) {
    let name: String
    switch message.type {
    case .vote: name = "MsgVote"
    case .voteResponse: name = "MsgVoteResp"
    case .preVote: name = "MsgPreVote"
    case .preVoteResponse: name = "MsgPreVoteResp"
    default: return
    }
    let me = String(node.id, radix: 16)
    let kind = message.type == .vote || message.type == .preVote ? "request" : (message.reject ? "rejection" : "grant")
    if sent {
      log.info("\(me) [logterm: \(message.logTerm), index: \(message.index)] sent \(name) \(kind) to "
        + "\(String(message.to, radix: 16)) at term \(message.term)")
    } else {
      log.info("\(me) received \(name) \(kind) from \(String(message.from, radix: 16)) at term \(message.term)")
    }
  }

  /// etcd's raft line for a new configuration: "<me> switched to configuration voters=(<ids>) learners=(<ids>)",
  /// IDs in decimal and ascending, learners only when there are some.
  func logConfiguration() {
    var text = "voters=(\(confState.voters.sorted().map(String.init).joined(separator: " ")))"
    if !confState.learners.isEmpty {
      text += " learners=(\(confState.learners.sorted().map(String.init).joined(separator: " ")))"
    }
    log.info("\(String(node.id, radix: 16)) switched to configuration \(text)")
  }

  private static func roleName(_ role: Role) -> String {
    switch role {
    case .follower: "follower"
    case .preCandidate: "pre-candidate"
    case .candidate: "candidate"
    case .leader: "leader"
    }
  }
}
