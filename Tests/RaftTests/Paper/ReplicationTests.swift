// Paper tests for log replication (Raft paper §5.3).
import Testing
@testable import Raft

@Suite struct ReplicationTests {
  /// §5.3: "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel
  /// to each of the other servers to replicate the entry."
  @Test func leaderAppendsProposalAndReplicatesIt() {
    var r = makeRaft(1)
    r.forceLeader()
    // Followers acknowledge the empty entry so they are in replicate state.
    for id: NodeID in [2, 3] { r.deliver(Message(type: .appendResponse, to: 1, from: id, term: r.term, index: 1)) }
    _ = r.takeMessages()
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [7])]))
    #expect(r.log.lastIndex == 2)
    #expect(r.log.unstableEntries.last == Entry(term: 1, index: 2, data: [7]))
    let msgs = r.takeMessages()
    #expect(msgs.count == 2)
    for m in msgs {
      #expect(m.type == .append)
      #expect(m.index == 1 && m.logTerm == 1)
      #expect(m.entries == [Entry(term: 1, index: 2, data: [7])])
    }
  }

  /// §5.3: "A log entry is committed once the leader that created the entry has replicated it on a majority of
  /// the servers."
  @Test(arguments: [(3, 0, false), (3, 1, true), (3, 2, true), (5, 1, false), (5, 2, true), (5, 4, true)])
  func leaderCommitsEntryOnceStoredOnMajority(size: Int, acks: Int, committed: Bool) {
    var r = makeRaft(1, voters: Array(1...NodeID(size)))
    r.forceLeader()
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    for id in NodeID(2)..<NodeID(2 + acks) {
      r.deliver(Message(type: .appendResponse, to: 1, from: id, term: r.term, index: 2))
    }
    #expect((r.log.committed == 2) == committed)
    if committed {
      // The new commit index goes out with the next appends.
      let commits = r.takeMessages().filter { $0.type == .append }.map(\.commit)
      #expect(commits.contains(2))
    }
  }

  /// §5.3: committing an entry "also commits all preceding entries in the leader's log".
  @Test func leaderCommitsPrecedingEntries() {
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 2]), hardState: HardState(term: 2))
    var r = makeRaft(1, storage: storage)
    r.forceLeader()  // term 3, empty entry at 3
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 3, index: 4))
    #expect(r.log.committed == 4)
  }

  /// §5.3: "Once a follower learns that a log entry is committed, it applies the entry": a follower commits up to
  /// min(leaderCommit, index of last new entry).
  @Test(arguments: [(1, 1), (2, 2), (5, 2)])
  func followerCommitsUpToLeaderCommit(leaderCommit: LogIndex, expected: LogIndex) {
    var r = makeRaft(1)
    r.becomeFollower(term: 1, lead: 2)
    r.deliver(Message(type: .append, to: 1, from: 2, term: 1, logTerm: 0, index: 0,
                      entries: entries(terms: [1, 1]), commit: leaderCommit))
    #expect(r.log.committed == expected)
  }

  /// §5.3: "If the follower does not find an entry in its log with the same index and term, then it refuses the
  /// new entries."
  @Test(arguments: [(LogIndex(0), Term(0), false), (2, 2, false), (2, 1, true), (3, 2, true), (1, 1, false)])
  func followerRejectsAppendWithMismatchedPrevLog(index: LogIndex, logTerm: Term, rejected: Bool) {
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 2]), hardState: HardState(term: 2))
    var r = makeRaft(1, storage: storage)
    r.deliver(Message(type: .append, to: 1, from: 2, term: 2, logTerm: logTerm, index: index))
    let response = r.takeMessages().last!
    #expect(response.type == .appendResponse)
    #expect(response.reject == rejected)
  }

  /// §5.3: "If an existing entry conflicts with a new one (same index but different terms), delete the existing
  /// entry and all that follow it."
  @Test func followerTruncatesConflictingEntries() {
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 1, 1]), hardState: HardState(term: 1))
    var r = makeRaft(1, storage: storage)
    r.deliver(Message(type: .append, to: 1, from: 2, term: 2, logTerm: 1, index: 1,
                      entries: [Entry(term: 2, index: 2, data: [9])]))
    #expect(r.log.allEntries().map(\.term) == [1, 2])
    #expect(r.log.lastIndex == 2)
    #expect(r.takeMessages().last?.index == 2)
  }

  /// §5.3: an append carrying entries the follower already has is idempotent (no truncation).
  @Test func followerKeepsMatchingEntriesOnDuplicateAppend() {
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 1, 1]), hardState: HardState(term: 1))
    var r = makeRaft(1, storage: storage)
    r.deliver(Message(type: .append, to: 1, from: 2, term: 1, logTerm: 1, index: 0, entries: entries(terms: [1])))
    #expect(r.log.lastIndex == 3)
  }

  /// §5.3: "After a rejection, the leader decrements nextIndex and retries ... Eventually nextIndex will reach a
  /// point where the leader and follower logs match." With fast backtracking the follower's hint skips a whole
  /// conflicting term at once.
  @Test func fastBacktrackingSkipsConflictingTerm() {
    // Follower: terms 1 1 2 2 2 2 (index 1..6); leader probes at (index 7, term 3).
    let storage = makeStorage(voters: [1, 2, 3], entries: entries(terms: [1, 1, 2, 2, 2, 2]),
                              hardState: HardState(term: 2))
    var f = makeRaft(2, storage: storage)
    f.deliver(Message(type: .append, to: 2, from: 1, term: 3, logTerm: 3, index: 7))
    let rej = f.takeMessages().last!
    #expect(rej.reject)
    #expect(rej.rejectHint == 6)
    #expect(rej.logTerm == 2)
  }

  /// §5.3 (Figure 7): a leader brings followers with missing, extra, or conflicting entries into line with its
  /// own log; afterwards all logs are identical.
  @Test func leaderRepairsDivergentFollowerLogs() {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    for i in 0..<3 { try! c.propose(1, "a\(i)") }
    c.stabilize()
    // Node 3 is cut off; the leader keeps writing (committed with node 2).
    c.isolate(3)
    for i in 0..<4 { try! c.propose(1, "b\(i)") }
    c.stabilize()
    // Leader 1 is cut off with uncommitted writes; node 2 takes over with node 3.
    c.heal()
    c.isolate(1)
    for i in 0..<2 { try! c.propose(1, "lost\(i)") }
    c.stabilize()
    c.elect(2)
    try! c.propose(2, "c0")
    c.stabilize()
    c.heal()
    try! c.propose(2, "c1")
    c.stabilize()
    c.tick(2)  // the heartbeat reaches the deposed leader, which is then probed and repaired
    c.stabilize()
    let logs = c.ids.map { id in (try? c.storages[id]!.entries(from: 1, to: c.storages[id]!.lastIndex() + 1,
                                                                 maxSize: .max)) ?? [] }
    #expect(logs[0] == logs[1])
    #expect(logs[1] == logs[2])
    #expect(c.appliedData(1) == c.appliedData(2))
    #expect(c.appliedData(3) == c.appliedData(2))
    #expect(!c.appliedData(1).contains("lost0"))
    #expect(c.appliedData(2).suffix(2) == ["c0", "c1"])
  }

  /// §5.3: "The leader never overwrites or deletes entries in its own log (Leader Append-Only)": a leader ignores
  /// appends from an older term.
  @Test func leaderNeverOverwritesItsOwnLog() {
    var r = makeRaft(1)
    r.forceLeader()
    r.becomeFollower(term: r.term, lead: 1)
    r.forceLeader()
    let before = r.log.allEntries()
    r.deliver(Message(type: .append, to: 1, from: 2, term: 1, logTerm: 0, index: 0,
                      entries: entries(terms: [1, 1, 1])))
    #expect(r.log.allEntries() == before)
    #expect(r.role == .leader)
  }
}

@Suite struct HeartbeatAndSnapshotStatusTests {
  /// §5.3 (as refined by etcd): heartbeats carry min(match, commit), so a follower whose log is behind never
  /// learns a commit index beyond what it is known to hold.
  @Test func heartbeatCommitIsMinOfMatchAndCommit() {
    var r = makeRaft(1)
    r.forceLeader()
    for _ in 0..<3 { r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])])) }
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: 1, index: 4))
    #expect(r.log.committed == 4)
    r.deliver(Message(type: .appendResponse, to: 1, from: 3, term: 1, index: 1))
    _ = r.takeMessages()
    r.deliver(Message(type: .beat, from: 1))
    let beats = Dictionary(uniqueKeysWithValues: r.takeMessages().map { ($0.to, $0.commit) })
    #expect(beats == [2: 4, 3: 1])
  }

  /// §7: a failed snapshot send returns the follower to probe state (paused until it answers), a delivered one
  /// resumes probing after the snapshot index.
  @Test func snapshotStatusReportMovesFollowerToProbe() {
    for failed in [true, false] {
      var r = makeRaft(1)
      r.forceLeader()
      r.tracker.progress[2]!.becomeSnapshot(7)
      r.deliver(Message(type: .snapshotStatus, from: 2, reject: failed))
      let pr = r.tracker.progress[2]!
      #expect(pr.state == .probe)
      #expect(pr.isPaused)
      #expect(pr.next == (failed ? 1 : 8))
    }
  }
}
