// Paper tests for membership changes (Raft paper §6; single-server changes of the thesis §4.1) and learners.
import Testing
@testable import Raft

@Suite struct MembershipTests {
  /// §6 (learners, thesis §4.2.1 "non-voting members"): learners receive the log but are never asked for votes,
  /// their votes never count, and they never campaign.
  @Test func learnersNeverVote() {
    var candidate = makeRaft(1, voters: [1, 2, 3], learners: [4])
    candidate.deliver(Message(type: .hup, from: 1))
    let asked = candidate.takeMessages().filter { $0.type == .vote }.map(\.to)
    #expect(Set(asked) == [2, 3])
    // A (hypothetical) grant from the learner does not count toward the quorum.
    candidate.deliver(Message(type: .voteResponse, to: 1, from: 4, term: 1))
    #expect(candidate.role == .candidate)
    var learner = makeRaft(4, voters: [1, 2, 3], learners: [4])
    for _ in 0..<100 { learner.tick() }
    #expect(learner.role == .follower)
    #expect(learner.term == 0)
    #expect(learner.takeMessages().isEmpty)
  }

  /// §6: learners receive the replicated log and apply it, without counting toward commitment.
  @Test func learnerReceivesLogButDoesNotCountForCommit() {
    var r = makeRaft(1, voters: [1, 2, 3], learners: [4])
    r.forceLeader()
    r.deliver(Message(type: .appendResponse, to: 1, from: 4, term: 1, index: 1))
    #expect(r.log.committed == 0)
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 1))
    #expect(r.log.committed == 1)
    let c = TestCluster(voters: [1, 2, 3], learners: [4])
    c.elect(1)
    try! c.propose(1, "v")
    c.stabilize()
    #expect(c.appliedData(4) == ["v"])
  }

  /// §6 (single-server change): adding a voter grows the quorum; a 3-node cluster becoming 4 needs 3 acks.
  @Test func addingVoterGrowsQuorum() {
    var r = makeRaft(1)
    r.forceLeader()
    _ = r.applyConfChange(ConfChange(type: .addVoter, nodeID: 4))
    #expect(r.tracker.voters == [1, 2, 3, 4])
    #expect(r.tracker.quorum == 3)
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 2))
    #expect(r.log.committed == 0)
    r.deliver(Message(type: .appendResponse, to: 1, from: 4, term: 1, index: 2))
    #expect(r.log.committed == 2)
  }

  /// §6: removing a voter shrinks the quorum, which can commit entries that were waiting.
  @Test func removingVoterShrinksQuorumAndCommitsPending() {
    var r = makeRaft(1, voters: [1, 2])
    r.forceLeader()
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    #expect(r.log.committed == 0)
    _ = r.applyConfChange(ConfChange(type: .removeNode, nodeID: 2))
    #expect(r.log.committed == 2)
    #expect(r.tracker.progress[2] == nil)
  }

  /// §6 / thesis §4.1: only one configuration change may be pending; a second proposal while the first is
  /// unapplied becomes an empty normal entry.
  @Test func onlyOneConfChangeMayBePending() {
    var r = makeRaft(1)
    r.forceLeader()
    r.log.commitTo(1)
    r.log.appliedTo(1)
    let cc = Entry(term: 0, index: 0, kind: .confChange, data: ConfChange(type: .addLearner, nodeID: 4).encoded())
    r.deliver(Message(type: .propose, from: 1, entries: [cc]))
    r.deliver(Message(type: .propose, from: 1, entries: [cc]))
    let tail = r.log.allEntries().suffix(2)
    #expect(tail.map(\.kind) == [.confChange, .normal])
    #expect(tail.last!.data.isEmpty)
    #expect(r.pendingConfIndex == 2)
  }

  /// §6: promoting a learner (addVoter on a learner) makes it a voter that counts for quorum.
  @Test func promotingLearnerMakesItAVoter() {
    let c = TestCluster(voters: [1, 2, 3], learners: [4])
    c.elect(1)
    try! c.with(1) { try $0.proposeConfChange(ConfChange(type: .addVoter, nodeID: 4)) }
    c.stabilize()
    for id in c.ids {
      #expect(c.node(id).status.confState == ConfState(voters: [1, 2, 3, 4], learners: []))
    }
    // Node 4 can now be elected.
    c.elect(4)
    #expect(c.node(4).status.role == .leader)
  }

  /// §6: a new member added as a learner catches up from the leader, then a removed member stops counting.
  @Test func addLearnerThenRemoveVoterThroughTheLog() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    try! c.propose(1, "before")
    c.stabilize()
    c.addNode(4)
    try! c.with(1) { try $0.proposeConfChange(ConfChange(type: .addLearner, nodeID: 4)) }
    c.stabilize()
    #expect(c.appliedData(4) == ["before"])
    #expect(c.node(1).status.confState.learners == [4])
    try! c.with(1) { try $0.proposeConfChange(ConfChange(type: .removeNode, nodeID: 3)) }
    c.stabilize()
    #expect(c.node(1).status.confState.voters == [1, 2])
    c.isolate(3)
    try! c.propose(1, "after")
    c.stabilize()
    #expect(c.appliedData(2) == ["before", "after"])
  }

  /// §6: "the leader steps down once the C_new entry is committed" when it is not part of the new configuration.
  @Test func removedLeaderStepsDown() {
    var r = makeRaft(1)
    r.forceLeader()
    _ = r.applyConfChange(ConfChange(type: .removeNode, nodeID: 1))
    #expect(r.role == .follower)
    #expect(throws: RaftError.proposalDropped) {
      try r.step(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    }
  }

  /// §6: a node with an unapplied committed conf change does not campaign (it might not be a voter any more).
  @Test func nodeWithUnappliedConfChangeDoesNotCampaign() {
    let cc = Entry(term: 1, index: 1, kind: .confChange, data: ConfChange(type: .removeNode, nodeID: 1).encoded())
    let storage = makeStorage(voters: [1, 2, 3], entries: [cc], hardState: HardState(term: 1, commit: 1))
    var r = makeRaft(1, storage: storage)
    r.deliver(Message(type: .hup, from: 1))
    #expect(r.role == .follower)
    #expect(r.term == 1)
  }

  /// ConfChange entries round-trip through their byte encoding.
  @Test func confChangeEncodingRoundTrips() {
    for type in [ConfChangeType.addVoter, .addLearner, .removeNode] {
      let cc = ConfChange(type: type, nodeID: 0x0102_0304_0506_0708, context: [9, 8])
      #expect(ConfChange(decoding: cc.encoded()) == cc)
    }
    #expect(ConfChange(decoding: [0, 1, 2]) == nil)
    #expect(ConfChange(decoding: [7, 0, 0, 0, 0, 0, 0, 0, 1]) == nil)
  }
}

@Suite struct TransferAndMembershipTests {
  /// Thesis §3.10 with §4.2.1: only a voter can become leader, so demoting (or removing) the transferee ends the
  /// transfer at once and proposals are accepted again.
  @Test func demotingOrRemovingTransfereeCancelsTransfer() {
    for change in [ConfChangeType.addLearner, .removeNode] {
      var r = makeRaft(1)
      r.forceLeader()
      r.deliver(Message(type: .transferLeader, from: 3))
      #expect(r.leadTransferee == 3)
      _ = r.applyConfChange(ConfChange(type: change, nodeID: 3))
      #expect(r.leadTransferee == 0, "transfer still pending after \(change) of the transferee")
      r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
      #expect(r.log.lastIndex == 2)
      // The (former) transferee catching up is not told to campaign.
      _ = r.takeMessages()
      r.deliver(Message(type: .appendResponse, to: 1, from: 3, term: r.term, index: r.log.lastIndex))
      #expect(!r.takeMessages().contains { $0.type == .timeoutNow })
    }
  }
}
