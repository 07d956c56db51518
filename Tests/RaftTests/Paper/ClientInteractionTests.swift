// Paper tests for client interaction (Raft paper §8): proposals reach the leader, linearizable reads.
import Testing
@testable import Raft

@Suite struct ClientInteractionTests {
  /// §8: "If the client's first choice is not the leader, that server will reject the client's request and supply
  /// information about the most recent leader": our followers forward proposals to the leader instead.
  @Test func followerForwardsProposalToLeader() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    try! c.propose(2, "via-follower")
    c.stabilize()
    for id in c.ids { #expect(c.appliedData(id) == ["via-follower"]) }
  }

  /// §8: with no known leader the proposal cannot be placed and is dropped with an error.
  @Test func proposalWithoutLeaderIsDropped() {
    var r = makeRaft(1)
    #expect(throws: RaftError.proposalDropped) {
      try r.step(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    }
    var candidate = makeRaft(1)
    candidate.becomeCandidate()
    #expect(throws: RaftError.proposalDropped) {
      try candidate.step(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    }
  }

  /// §8: forwarding can be disabled; the follower then drops proposals.
  @Test func disabledForwardingDropsProposalOnFollower() {
    var r = makeRaft(2) { $0.disableProposalForwarding = true }
    r.becomeFollower(term: 1, lead: 1)
    #expect(throws: RaftError.proposalDropped) {
      try r.step(Message(type: .propose, from: 2, entries: [Entry(term: 0, index: 0, data: [1])]))
    }
    #expect(r.takeMessages().isEmpty)
  }

  /// §8: "a leader must check whether it has been deposed before processing a read-only request ... by exchanging
  /// heartbeat messages with a majority": a safe ReadIndex is answered only after a quorum of heartbeat acks.
  @Test func safeReadIndexWaitsForHeartbeatQuorum() {
    var r = makeRaft(1, voters: [1, 2, 3, 4, 5])
    r.forceLeader()
    r.log.commitTo(1)  // the term's empty entry is committed
    r.deliver(Message(type: .readIndex, from: 1, entries: [Entry(term: 0, index: 0, data: Array("q".utf8))]))
    let beats = r.takeMessages().filter { $0.type == .heartbeat }
    #expect(beats.count == 4)
    #expect(beats.allSatisfy { $0.context == Array("q".utf8) })
    r.deliver(Message(type: .heartbeatResponse, to: 1, from: 2, term: 1, context: Array("q".utf8)))
    #expect(r.readStates.isEmpty)
    r.deliver(Message(type: .heartbeatResponse, to: 1, from: 3, term: 1, context: Array("q".utf8)))
    #expect(r.readStates == [ReadState(index: 1, requestContext: Array("q".utf8))])
  }

  /// §8: "a leader must have the latest information on which entries are committed ... it commits a blank no-op
  /// entry at the start of its term": reads wait until an entry of the current term is committed.
  @Test func readIndexWaitsForCurrentTermCommit() {
    var r = makeRaft(1)
    r.forceLeader()
    r.deliver(Message(type: .readIndex, from: 1, entries: [Entry(term: 0, index: 0, data: [5])]))
    #expect(r.takeMessages().filter { $0.type == .heartbeat }.isEmpty)
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 1))
    #expect(r.log.committed == 1)
    let beats = r.takeMessages().filter { $0.type == .heartbeat }
    #expect(beats.count == 2)
    r.deliver(Message(type: .heartbeatResponse, to: 1, from: 3, term: 1, context: [5]))
    #expect(r.readStates.map(\.index) == [1])
  }

  /// §8 / thesis §6.4.1: with lease-based reads the leader answers at once, relying on CheckQuorum.
  @Test func leaseBasedReadAnswersImmediately() {
    var r = makeRaft(1) {
      $0.readOnlyOption = .leaseBased
      $0.checkQuorum = true
    }
    r.forceLeader()
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 1))
    _ = r.takeMessages()
    r.deliver(Message(type: .readIndex, from: 1, entries: [Entry(term: 0, index: 0, data: [6])]))
    #expect(r.readStates == [ReadState(index: 1, requestContext: [6])])
    #expect(r.takeMessages().filter { $0.type == .heartbeat }.isEmpty)
  }

  /// §8: a ReadIndex issued on a follower is answered by the leader and surfaces in the follower's Ready.
  @Test func followerReadIndexIsAnsweredThroughLeader() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    try! c.propose(1, "w")
    c.stabilize()
    c.with(3) { $0.readIndex(context: Array("r1".utf8)) }
    c.stabilize()
    #expect(c.readStates[3] == [ReadState(index: 2, requestContext: Array("r1".utf8))])
  }
}
