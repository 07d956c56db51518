// Paper tests for leader election (Raft paper §5.1, §5.2).
import Testing
@testable import Raft

@Suite struct ElectionTests {
  /// §5.1: "If a server receives a request with a stale term number ... if one server's current term is smaller
  /// than the other's, then it updates its current term to the larger value. If a candidate or leader discovers
  /// that its term is out of date, it immediately reverts to follower state."
  @Test(arguments: [Role.follower, .candidate, .leader])
  func followerUpdatesTermFromMessage(role: Role) {
    var r = makeRaft(1)
    switch role {
    case .candidate: r.becomeCandidate()
    case .leader: r.forceLeader()
    default: break
    }
    r.deliver(Message(type: .append, to: 1, from: 2, term: 5))
    #expect(r.term == 5)
    #expect(r.role == .follower)
    #expect(r.lead == 2)
  }

  /// §5.1: "If a server receives a request with a stale term number, it rejects the request."
  @Test func staleTermMessageIsIgnored() {
    var r = makeRaft(1)
    r.becomeFollower(term: 3, lead: 2)
    r.deliver(Message(type: .append, to: 1, from: 3, term: 2, entries: [Entry(term: 2, index: 1)]))
    #expect(r.term == 3)
    #expect(r.lead == 2)
    #expect(r.log.lastIndex == 0)
  }

  /// §5.2: "When servers start up, they begin as followers."
  @Test func nodesStartAsFollowers() {
    let r = makeRaft(1)
    #expect(r.role == .follower)
    #expect(r.term == 0)
  }

  /// §5.2: "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers."
  @Test func leaderBroadcastsHeartbeatEveryHeartbeatTimeout() {
    var r = makeRaft(1, heartbeatTick: 2)
    r.forceLeader()
    r.tick()
    #expect(r.takeMessages().isEmpty)
    r.tick()
    let msgs = r.takeMessages()
    #expect(msgs.map(\.type) == [.heartbeat, .heartbeat])
    #expect(Set(msgs.map(\.to)) == [2, 3])
    #expect(msgs.allSatisfy { $0.entries.isEmpty && $0.term == r.term })
  }

  /// §5.2: "If a follower receives no communication over a period of time called the election timeout, then it
  /// ... begins an election": it increments its term, votes for itself and requests votes from the others.
  @Test(arguments: [Role.follower, .candidate])
  func candidateStartsNewElectionOnTimeout(role: Role) {
    var r = makeRaft(1)
    if role == .candidate { r.becomeCandidate() }
    let before = r.term
    for _ in 0..<(2 * r.electionTimeout) { r.tick() }
    #expect(r.role == .candidate)
    #expect(r.term > before)
    #expect(r.vote == 1)
    let votes = r.takeMessages().filter { $0.type == .vote && $0.term == r.term }
    #expect(Set(votes.map(\.to)) == [2, 3])
  }

  /// §5.2: "A candidate wins an election if it receives votes from a majority of the servers in the full cluster
  /// for the same term."
  @Test(arguments: [
    (1, [NodeID: Bool](), Role.leader),
    (3, [2: true, 3: true], .leader),
    (3, [2: true], .leader),
    (5, [2: true, 3: true, 4: true, 5: true], .leader),
    (5, [2: true, 3: true], .leader),
    (3, [2: false, 3: false], .follower),
    (5, [2: false, 3: false, 4: false], .follower),
    (5, [2: true], .candidate),
    (3, [:], .candidate),
  ])
  func candidateWinsOnlyWithMajority(size: Int, votes: [NodeID: Bool], expected: Role) {
    var r = makeRaft(1, voters: Array(1...NodeID(size)))
    r.deliver(Message(type: .hup, from: 1))
    for (id, granted) in votes.sorted(by: { $0.key < $1.key }) {
      r.deliver(Message(type: .voteResponse, to: 1, from: id, term: r.term, reject: !granted))
    }
    #expect(r.role == expected)
    #expect(r.term == 1)
  }

  /// §5.2: "Each server will vote for at most one candidate in a given term, on a first-come-first-served basis."
  @Test func voterGrantsAtMostOneVotePerTerm() {
    var r = makeRaft(1)
    r.deliver(Message(type: .vote, to: 1, from: 2, term: 1))
    r.deliver(Message(type: .vote, to: 1, from: 3, term: 1))
    r.deliver(Message(type: .vote, to: 1, from: 2, term: 1))  // A retry from the same candidate is granted again.
    let answers = r.takeMessages().map { ($0.to, $0.reject) }
    #expect(answers.map(\.0) == [2, 3, 2])
    #expect(answers.map(\.1) == [false, true, false])
    #expect(r.vote == 2)
  }

  /// §5.2: "If the leader's term ... is at least as large as the candidate's current term, then the candidate
  /// recognizes the leader as legitimate and returns to follower state."
  @Test func candidateStepsDownOnAppendFromLeaderOfSameTerm() {
    var r = makeRaft(1)
    r.becomeCandidate()
    r.deliver(Message(type: .append, to: 1, from: 2, term: r.term))
    #expect(r.role == .follower)
    #expect(r.lead == 2)
    #expect(r.term == 1)
  }

  /// §5.2: "Raft uses randomized election timeouts to ensure that split votes are rare": timeouts fall in
  /// [electionTimeout, 2 * electionTimeout) and differ between seeds.
  @Test func electionTimeoutsAreRandomizedWithinRange() {
    var seen: Set<Int> = []
    for seed in UInt64(0)..<50 {
      var r = makeRaft(1, seed: seed)
      for _ in 0..<5 {
        r.resetRandomizedElectionTimeout()
        #expect(r.randomizedElectionTimeout >= 10 && r.randomizedElectionTimeout < 20)
        seen.insert(r.randomizedElectionTimeout)
      }
    }
    #expect(seen.count > 5)
  }

  /// §3.4 of the thesis: a follower restarts its election timer on a leader's message or when it grants a vote.
  /// A vote request from a candidate whose log is behind takes the follower to the new term but, refused, leaves its
  /// timer running; an up-to-date candidate's request is granted and restarts it. (etcd restarts it in both cases;
  /// a lagging follower that timed out first then delayed the up-to-date one by a whole new timeout.)
  @Test func refusingAStaleCandidateKeepsTheElectionTimerGrantingRestartsIt() {
    for upToDate in [false, true] {
      var r = makeRaft(1)
      r.deliver(Message(type: .append, to: 1, from: 2, term: 1, logTerm: 0, index: 0,
                        entries: [Entry(term: 1, index: 1), Entry(term: 1, index: 2)], commit: 0))
      #expect(r.log.lastIndex == 2)
      for _ in 0..<5 { r.tick() }
      let timeout = r.randomizedElectionTimeout
      _ = r.takeMessages()
      r.deliver(Message(type: .vote, to: 1, from: 3, term: 2, logTerm: 1, index: upToDate ? 2 : 1))
      #expect(r.term == 2)
      #expect(r.role == .follower)
      #expect(r.takeMessages().map(\.reject) == [!upToDate])
      if upToDate {
        #expect(r.vote == 3)
        #expect(r.electionElapsed == 0)
      } else {
        #expect(r.vote == 0)
        #expect(r.electionElapsed == 5 && r.randomizedElectionTimeout == timeout)
      }
    }
  }

  /// §5.2: followers that keep hearing from the leader do not start elections.
  @Test func followerWithLiveLeaderDoesNotCampaign() {
    var r = makeRaft(1)
    r.becomeFollower(term: 1, lead: 2)
    for _ in 0..<50 {
      r.tick()
      r.deliver(Message(type: .heartbeat, to: 1, from: 2, term: 1))
    }
    #expect(r.role == .follower)
    #expect(r.term == 1)
  }

  /// §5.2: a single-server cluster elects itself as soon as it campaigns.
  @Test func singleVoterBecomesLeaderImmediately() {
    var r = makeRaft(1, voters: [1])
    r.deliver(Message(type: .hup, from: 1))
    #expect(r.role == .leader)
    #expect(r.term == 1)
  }

  /// §5.2: the winner "sends heartbeat messages to all of the other servers to establish its authority";
  /// with a simulated network all nodes agree on the leader after one election.
  @Test func electedLeaderIsRecognizedByAll() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    for id in c.ids {
      #expect(c.node(id).status.lead == 1)
      #expect(c.node(id).status.term == 1)
    }
    #expect(c.node(1).status.role == .leader)
  }

  /// §5.2 (split votes): two simultaneous candidates in one term cannot both win.
  @Test func splitVoteElectsAtMostOneLeader() {
    let c = TestCluster(voters: [1, 2, 3, 4])
    try! c.with(1) { try $0.campaign() }
    try! c.with(2) { try $0.campaign() }
    c.stabilize()
    let leaders = c.ids.filter { c.node($0).status.role == .leader }
    #expect(leaders.count <= 1)
  }
}
