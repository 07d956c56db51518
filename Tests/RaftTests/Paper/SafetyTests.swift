// Paper tests for safety (Raft paper §5.4).
import Testing
@testable import Raft

@Suite struct SafetyTests {
  /// §5.4.1: "the voter denies its vote if its own log is more up-to-date than that of the candidate": logs are
  /// compared by last term first, then by length.
  @Test(arguments: [
    (LogIndex(2), Term(2), true),  // same last term, shorter log
    (3, 2, false),  // identical
    (4, 2, false),  // same term, longer
    (1, 3, false),  // higher last term wins even when shorter
    (3, 1, true),  // lower last term, same length
    (9, 1, true),  // lower last term, longer log
    (2, 1, true),
  ])
  func voterRejectsCandidateWithStaleLog(candidateIndex: LogIndex, candidateTerm: Term, rejected: Bool) {
    // Voter log: terms 1 2 2 (last index 3, last term 2).
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 2, 2]), hardState: HardState(term: 2))
    var r = makeRaft(1, storage: storage)
    r.deliver(Message(type: .vote, to: 1, from: 2, term: 3, logTerm: candidateTerm, index: candidateIndex))
    let m = r.takeMessages().last!
    #expect(m.type == .voteResponse)
    #expect(m.reject == rejected)
    #expect(r.vote == (rejected ? 0 : 2))
  }

  /// §5.4.2 (Figure 8): "Raft never commits log entries from previous terms by counting replicas. Only log entries
  /// from the leader's current term are committed by counting replicas."
  @Test func leaderCommitsOnlyCurrentTermEntriesByCounting() {
    // The leader of term 3 holds an uncommitted entry from term 2 at index 2.
    let storage = makeStorage(voters: [1, 2, 3, 4, 5], entries: entries(terms: [1, 2]),
                              hardState: HardState(term: 2, commit: 1))
    var r = makeRaft(1, voters: [1, 2, 3, 4, 5], storage: storage)
    r.forceLeader()  // term 3; empty entry at index 3
    // A majority (1, 2, 3) stores index 2 (an old-term entry): it must NOT commit.
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 3, index: 2))
    r.deliver(Message(type: .appendResponse, to: 1, from: 3, term: 3, index: 2))
    #expect(r.log.committed == 1)
    // Once the current-term entry at 3 is on a majority, 2 and 3 commit together.
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 3, index: 3))
    #expect(r.log.committed == 1)
    r.deliver(Message(type: .appendResponse, to: 1, from: 3, term: 3, index: 3))
    #expect(r.log.committed == 3)
  }

  /// §5.4.1 (Leader Completeness): a node missing committed entries cannot be elected, because a majority holding
  /// them refuses its vote.
  @Test func nodeMissingCommittedEntriesCannotBeElected() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    c.isolate(3)
    try! c.propose(1, "x")
    c.stabilize()
    #expect(c.node(1).status.commit == 2)
    c.heal()
    c.isolate(1)
    c.elect(3)  // node 3 lacks index 2
    #expect(c.node(3).status.role != .leader)
    c.elect(2)
    #expect(c.node(2).status.role == .leader)
    c.stabilize()
    #expect(c.appliedData(3) == ["x"])
  }

  /// §5.4.3 (State Machine Safety): across leader changes, every node applies the same sequence.
  @Test func allNodesApplyTheSameSequenceAcrossLeaderChanges() {
    let c = TestCluster(voters: [1, 2, 3, 4, 5])
    var expected: [String] = []
    for (round, leader) in [NodeID(1), 3, 5, 2].enumerated() {
      c.elect(leader)
      #expect(c.node(leader).status.role == .leader)
      for i in 0..<3 {
        try! c.propose(leader, "r\(round)-\(i)")
        expected.append("r\(round)-\(i)")
      }
      c.stabilize()
    }
    for id in c.ids { #expect(c.appliedData(id) == expected) }
  }
}

@Suite struct PersistenceTests {
  /// §5.2 / Figure 2 ("persistent state on all servers: currentTerm, votedFor, log[]"): a voter that crashes after
  /// persisting its vote does not vote for a different candidate in the same term after restarting.
  @Test func restartedVoterKeepsItsVote() throws {
    let c = TestCluster(voters: [1, 2, 3])
    try c.with(1) { try $0.step(Message(type: .vote, to: 1, from: 2, term: 1)) }
    c.process(1)  // persists HardState(term: 1, vote: 2) before the response goes out
    c.restart(1)
    #expect(c.node(1).status.vote == 2)
    try c.with(1) { try $0.step(Message(type: .vote, to: 1, from: 3, term: 1)) }
    let rd = c.with(1) { $0.ready() }
    #expect(rd.messages.map(\.reject) == [true])
  }

  /// §5.3 with crash recovery: a restarted follower keeps its persisted log and commit, re-applies committed
  /// entries from the start (applied was 0 in its config), and catches up with entries it missed.
  @Test func restartedFollowerRecoversPersistedLogAndCatchesUp() throws {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    try c.propose(1, "a")
    c.stabilize()
    c.restart(3)
    #expect(c.node(3).status.commit == 2)
    #expect(c.node(3).status.lastIndex == 2)
    try c.propose(1, "b")
    c.stabilize()
    #expect(c.appliedData(3) == ["a", "b"])
  }

  /// maxCommittedSizePerReady bounds the committed entries handed out per Ready; the rest follow in later Readies.
  @Test func committedEntriesArePagedByMaxCommittedSizePerReady() throws {
    let storage = makeStorage(voters: [1], entries: entries(terms: [1, 1, 1, 1]),
                              hardState: HardState(term: 1, commit: 4))
    var config = RaftConfig(id: 1, storage: storage, randomSeed: 1)
    config.maxCommittedSizePerReady = 50  // two 24-byte empty entries fit
    var node = try RawNode(config: config)
    var batches: [[LogIndex]] = []
    while node.hasReady {
      let rd = node.ready()
      batches.append(rd.committedEntries.map(\.index))
      node.advance(rd)
    }
    #expect(batches == [[1, 2], [3, 4]])
  }
}
