// Paper tests for log compaction and snapshots (Raft paper §7).
import Testing
@testable import Raft

@Suite struct CompactionTests {
  /// §7: "the leader must occasionally send snapshots to followers that lag behind ... when it has already
  /// discarded the next log entry that it needs to send to a follower."
  @Test func leaderSendsSnapshotWhenFollowerNeedsCompactedEntries() throws {
    let storage = makeStorage(voters: [1, 2], entries: entries(terms: [1, 1, 1, 1, 1]),
                              hardState: HardState(term: 1, commit: 5))
    _ = try storage.createSnapshot(at: 4, confState: ConfState(voters: [1, 2]), data: [42])
    try storage.compact(upTo: 4)
    var r = makeRaft(1, voters: [1, 2], storage: storage)
    r.forceLeader()
    r.tracker.progress[2]!.recentActive = true
    r.tracker.progress[2]!.next = 3  // needs index 3, which is compacted
    r.sendAppend(to: 2)
    let m = r.takeMessages().last!
    #expect(m.type == .snapshot)
    #expect(m.snapshot?.metadata.index == 4)
    #expect(m.snapshot?.data == [42])
    #expect(r.tracker.progress[2]!.state == .snapshot)
    #expect(r.tracker.progress[2]!.pendingSnapshot == 4)
    // No appends while the snapshot is in flight.
    r.deliver(Message(type: .propose, from: 1, entries: [Entry(term: 0, index: 0, data: [1])]))
    #expect(r.takeMessages().filter { $0.to == 2 }.isEmpty)
    // The follower's acknowledgement resumes replication.
    r.deliver(Message(type: .appendResponse, to: 1, from: 2, term: r.term, index: 4))
    #expect(r.tracker.progress[2]!.state == .replicate)
    #expect(r.takeMessages().contains { $0.type == .append && $0.to == 2 })
  }

  /// §7: "the follower discards its entire log; it is all superseded by the snapshot", adopting its
  /// configuration and commit index.
  @Test func followerRestoresSnapshot() {
    var r = makeRaft(2, voters: [1, 2])
    let snap = Snapshot(metadata: SnapshotMetadata(index: 11, term: 3, confState: ConfState(voters: [1, 2, 3])),
                        data: [1, 2, 3])
    r.deliver(Message(type: .snapshot, to: 2, from: 1, term: 3, snapshot: snap))
    #expect(r.log.committed == 11)
    #expect(r.log.lastIndex == 11)
    #expect(r.log.zeroTerm(11) == 3)
    #expect(r.tracker.voters == [1, 2, 3])
    #expect(r.log.hasPendingSnapshot)
    #expect(r.takeMessages().last == Message(type: .appendResponse, to: 1, from: 2, term: 3, index: 11))
  }

  /// §7: "If instead the follower receives a snapshot that describes a prefix of its log ... log entries covered
  /// by the snapshot are deleted but entries following the snapshot are still valid and must be retained."
  @Test func followerWithSnapshotPrefixOnlyFastForwardsCommit() {
    let storage = makeStorage(voters: [1, 2], entries: entries(terms: [1, 1, 1, 1]), hardState: HardState(term: 1))
    var r = makeRaft(2, voters: [1, 2], storage: storage)
    let snap = Snapshot(metadata: SnapshotMetadata(index: 2, term: 1, confState: ConfState(voters: [1, 2])))
    r.deliver(Message(type: .snapshot, to: 2, from: 1, term: 1, snapshot: snap))
    #expect(r.log.committed == 2)
    #expect(r.log.lastIndex == 4)
    #expect(!r.log.hasPendingSnapshot)
  }

  /// §7: a snapshot older than the follower's commit index is ignored.
  @Test func followerIgnoresStaleSnapshot() {
    let storage = makeStorage(voters: [1, 2], entries: entries(terms: [1, 1, 1]),
                              hardState: HardState(term: 1, commit: 3))
    var r = makeRaft(2, voters: [1, 2], storage: storage)
    let snap = Snapshot(metadata: SnapshotMetadata(index: 2, term: 1, confState: ConfState(voters: [1, 2])))
    r.deliver(Message(type: .snapshot, to: 2, from: 1, term: 1, snapshot: snap))
    #expect(!r.log.hasPendingSnapshot)
    #expect(r.takeMessages().last?.index == 3)
  }

  /// §7: end to end, a member that fell behind a compaction catches up through a snapshot and then the log.
  @Test func laggingFollowerCatchesUpThroughSnapshot() throws {
    let c = TestCluster(voters: [1, 2, 3])
    c.elect(1)
    c.isolate(3)
    for i in 0..<5 { try c.propose(1, "e\(i)") }
    c.stabilize()
    let applied = c.node(1).status.applied
    try c.compact(1, upTo: applied)
    c.heal()
    try c.propose(1, "after")
    c.stabilize()
    c.tick(1)  // heartbeat: node 3 answers, the leader probes and finds it behind the compaction
    c.stabilize()
    #expect(try c.storages[3]!.snapshot().metadata.index == applied)
    #expect(c.node(3).status.commit == c.node(1).status.commit)
    #expect(c.appliedData(3).last == "after")
    #expect(c.node(1).status.progress[3]?.state == .replicate)
  }

  /// MemoryStorage reports compacted and unavailable ranges as the storage contract requires.
  @Test func memoryStorageReportsCompactedAndUnavailable() throws {
    let s = makeStorage(voters: [1], entries: entries(terms: [1, 2, 3, 3]))
    #expect(s.firstIndex() == 1 && s.lastIndex() == 4)
    try s.compact(upTo: 2)
    #expect(s.firstIndex() == 3)
    #expect(try s.term(of: 2) == 2)
    #expect(throws: StorageError.compacted) { try s.term(of: 1) }
    #expect(throws: StorageError.unavailable) { try s.term(of: 5) }
    #expect(throws: StorageError.compacted) { try s.entries(from: 2, to: 4, maxSize: .max) }
    #expect(try s.entries(from: 3, to: 5, maxSize: 0).count == 1)
    #expect(try s.entries(from: 3, to: 5, maxSize: .max).count == 2)
    // Appending a conflicting suffix truncates.
    try s.append([Entry(term: 4, index: 4)])
    #expect(try s.term(of: 4) == 4)
    #expect(throws: StorageError.unavailable) { try s.append([Entry(term: 4, index: 9)]) }
    _ = try s.createSnapshot(at: 3, confState: nil, data: [])
    #expect(throws: StorageError.compacted) { try s.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 1))) }
  }
}
