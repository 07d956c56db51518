// Tests of the extensions described in the Raft thesis (PreVote §9.6, CheckQuorum §6.2, leadership transfer §3.10)
// and of flow control, size limits and the Ready contract.
import Testing
@testable import Raft

@Suite struct ExtensionTests {
  /// Thesis §9.6: a PreVote round does not increment the term, so a partitioned node cannot disrupt the cluster
  /// when it rejoins.
  @Test func preVoteDoesNotIncrementTermOfIsolatedNode() {
    let c = TestCluster(voters: [1, 2, 3]) { $0.preVote = true }
    c.elect(1)
    c.isolate(3)
    for _ in 0..<50 { c.tick(3) }
    c.stabilize()
    #expect(c.node(3).status.term == 1)
    #expect(c.node(3).status.role == .preCandidate)
    c.heal()
    c.tick(1)
    c.stabilize()
    #expect(c.node(1).status.role == .leader)
    #expect(c.node(1).status.term == 1)
    #expect(c.node(3).status.lead == 1)
  }

  /// Thesis §9.6: PreVote is granted for a future term without changing the voter's term or vote.
  @Test func preVoteGrantLeavesVoterStateUnchanged() {
    var r = makeRaft(1)
    r.becomeFollower(term: 2, lead: noNode)
    r.deliver(Message(type: .preVote, to: 1, from: 2, term: 3, logTerm: 0, index: 0))
    let m = r.takeMessages().last!
    #expect(m.type == .preVoteResponse && !m.reject && m.term == 3)
    #expect(r.term == 2)
    #expect(r.vote == 0)
  }

  /// Thesis §6.2: with CheckQuorum a leader that has not heard from a quorum within an election timeout steps
  /// down.
  @Test func checkQuorumLeaderStepsDownWithoutQuorum() {
    var r = makeRaft(1) { $0.checkQuorum = true }
    r.forceLeader()
    for _ in 0..<(r.electionTimeout + 1) { r.tick() }
    #expect(r.role == .follower)
    var kept = makeRaft(1) { $0.checkQuorum = true }
    kept.forceLeader()
    for _ in 0..<(3 * kept.electionTimeout) {
      kept.tick()
      kept.deliver(Message(type: .heartbeatResponse, to: 1, from: 2, term: kept.term))
    }
    #expect(kept.role == .leader)
  }

  /// Thesis §6.2 / §4.2.3: with CheckQuorum a follower that recently heard from a leader ignores vote requests
  /// (leader lease), so a rejoining node cannot depose a healthy leader.
  @Test func voterInLeaseIgnoresVoteRequest() {
    var r = makeRaft(1) { $0.checkQuorum = true }
    r.becomeFollower(term: 1, lead: 2)
    r.deliver(Message(type: .vote, to: 1, from: 3, term: 5, logTerm: 9, index: 9))
    #expect(r.term == 1)
    #expect(r.takeMessages().isEmpty)
    // A transfer campaign bypasses the lease.
    r.deliver(Message(type: .vote, to: 1, from: 3, term: 5, logTerm: 9, index: 9, context: campaignTransferContext))
    #expect(r.term == 5)
    #expect(r.vote == 3)
  }

  /// Thesis §3.10: the leader sends MsgTimeoutNow once the transferee is up to date; the transferee wins at once.
  @Test func leaderTransferHandsLeadershipToUpToDateFollower() {
    let c = TestCluster(voters: [1, 2, 3]) { $0.checkQuorum = true }
    c.elect(1)
    try! c.propose(1, "x")
    c.stabilize()
    c.with(1) { $0.transferLeader(to: 3) }
    c.stabilize()
    #expect(c.node(3).status.role == .leader)
    #expect(c.node(1).status.role == .follower)
    #expect(c.node(1).status.lead == 3)
  }

  /// Thesis §3.10: during a transfer the old leader stops accepting proposals; the transfer is abandoned after an
  /// election timeout if the transferee does not take over.
  @Test func leaderTransferBlocksProposalsUntilAborted() {
    var r = makeRaft(1)
    r.forceLeader()
    r.deliver(Message(type: .transferLeader, from: 3))
    #expect(r.leadTransferee == 3)
    #expect(throws: RaftError.proposalDropped) {
      try r.step(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    }
    for _ in 0..<r.electionTimeout { r.tick() }
    #expect(r.leadTransferee == 0)
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    #expect(r.log.lastIndex == 2)
  }

  /// Flow control: in probe state at most one append is in flight; in replicate state the inflight window bounds
  /// the unacknowledged appends.
  @Test func probeSendsOneAppendAndReplicateRespectsInflightWindow() {
    var r = makeRaft(1, voters: [1, 2]) { $0.maxInflightMsgs = 2 }
    r.forceLeader()
    r.sendAppend(to: 2)
    for _ in 0..<3 { r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])])) }
    #expect(r.takeMessages().filter { $0.type == .append }.count == 1)
    #expect(r.tracker.progress[2]!.state == .probe)
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 1))
    #expect(r.tracker.progress[2]!.state == .replicate)
    _ = r.takeMessages()
    for _ in 0..<5 { r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [2])])) }
    #expect(r.tracker.progress[2]!.inflights.count == 2)
    #expect(r.tracker.progress[2]!.isPaused)
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: r.log.lastIndex))
    #expect(!r.tracker.progress[2]!.isPaused)
  }

  /// Flow control: maxSizePerMsg limits the entries per append (always at least one).
  @Test func maxSizePerMessageLimitsAppendSize() {
    var r = makeRaft(1, voters: [1, 2]) { $0.maxSizePerMsg = 100 }
    r.forceLeader()
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 1))
    r.tracker.progress[2]!.becomeProbe()
    for _ in 0..<5 {
      r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: Array(repeating: 0, count: 40))]))
    }
    _ = r.takeMessages()
    r.tracker.progress[2]!.msgAppFlowPaused = false
    r.sendAppend(to: 2)
    let m = r.takeMessages().last!
    #expect(m.entries.count == 1)  // 2 * (40 + 24) > 100
  }

  /// The leader refuses proposals once the uncommitted payload exceeds maxUncommittedEntriesSize.
  @Test func uncommittedSizeLimitDropsProposals() {
    var r = makeRaft(1) { $0.maxUncommittedEntriesSize = 10 }
    r.forceLeader()
    let six = Entry(term: 0, index: 0, data: Array(repeating: 1, count: 6))
    r.deliver(Message(type: .propose, from: 1, entries: [six]))
    #expect(throws: RaftError.proposalDropped) { try r.step(Message(type: .propose, from: 1, entries: [six])) }
    // An oversized first entry is still accepted when nothing is uncommitted.
    var fresh = makeRaft(1) { $0.maxUncommittedEntriesSize = 10 }
    fresh.forceLeader()
    fresh.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: Array(repeating: 1, count: 50))]))
    #expect(fresh.log.lastIndex == 2)
  }

  /// Fast backtracking: a leader with a long divergent log brings a follower in line in a few round trips.
  @Test func rejectHintLetsLeaderSkipDivergentTerm() {
    let leaderLog = makeStorage(voters: [1, 2], entries: entries(terms: [1, 1, 4, 4, 4, 4, 4, 4]),
                                hardState: HardState(term: 4))
    var leader = makeRaft(1, voters: [1, 2], storage: leaderLog)
    leader.forceLeader()  // term 5
    let followerLog = makeStorage(voters: [1, 2], entries: entries(terms: [1, 1, 2, 2, 2, 2, 2, 2, 2, 2]),
                                  hardState: HardState(term: 4))
    var follower = makeRaft(2, voters: [1, 2], storage: followerLog)
    leader.sendAppend(to: 2)
    var rounds = 0
    while rounds < 10 {
      let out = leader.takeMessages().filter { $0.to == 2 }
      if out.isEmpty { break }
      for m in out { follower.deliver(m) }
      for resp in follower.takeMessages() { leader.deliver(resp) }
      rounds += 1
      if leader.tracker.progress[2]!.match == leader.log.lastIndex { break }
    }
    #expect(leader.tracker.progress[2]!.match == leader.log.lastIndex)
    #expect(rounds <= 3)
    #expect(follower.log.allEntries().map(\.term) == [1, 1, 4, 4, 4, 4, 4, 4, 5])
  }

  /// The Ready contract: entries to persist and messages come together; after advance nothing is pending, and a
  /// restarted node sees only what was persisted.
  @Test func readyCarriesEntriesAndMessagesThenAdvanceClearsThem() throws {
    let storage = makeStorage(voters: [1])
    var config = RaftConfig(id: 1, storage: storage, randomSeed: 1)
    config.electionTick = 10
    var node = try RawNode(config: config)
    try node.campaign()
    #expect(node.hasReady)
    var rd = node.ready()
    #expect(rd.softState == SoftState(leader: 1, role: .leader))
    #expect(rd.hardState == HardState(term: 1, vote: 1, commit: 1))
    #expect(rd.entries == [Entry(term: 1, index: 1)])
    #expect(rd.committedEntries == [Entry(term: 1, index: 1)])
    #expect(rd.mustSync)
    try storage.append(rd.entries)
    storage.setHardState(rd.hardState!)
    node.advance(rd)
    #expect(!node.hasReady)
    try node.propose([9])
    rd = node.ready()
    #expect(rd.entries.map(\.data) == [[9]])
    #expect(rd.softState == nil)
    try storage.append(rd.entries)
    if let hs = rd.hardState { storage.setHardState(hs) }
    node.advance(rd)
    #expect(node.status.applied == 2)
    let restarted = try RawNode(config: config)
    #expect(restarted.status.commit == 2)
    #expect(restarted.status.term == 1)
    #expect(restarted.status.vote == 1)
  }

  /// RawNode refuses local message types and responses from non-members.
  @Test func rawNodeRefusesLocalMessagesAndUnknownPeers() throws {
    var node = try RawNode(config: RaftConfig(id: 1, storage: makeStorage(voters: [1, 2]), randomSeed: 1))
    #expect(throws: RaftError.stepLocalMessage) { try node.step(Message(type: .hup)) }
    #expect(throws: RaftError.stepPeerNotFound) {
      try node.step(Message(type: .appendResponse, to: 1, from: 9, term: 1))
    }
    #expect(throws: RaftError.self) {
      var bad = RaftConfig(id: 1, storage: makeStorage(voters: [1]), randomSeed: 1)
      bad.readOnlyOption = .leaseBased
      try bad.validate()
    }
  }
}
