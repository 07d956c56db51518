// The simulation's invariant checker must actually catch violations, or a green simulation proves nothing.
import Raft
import Testing

@Suite struct RaftSimulationCheckerTests {
  private func storage(_ terms: [Term]) throws -> MemoryStorage {
    let s = MemoryStorage()
    try s.append(terms.enumerated().map { Entry(term: $0.element, index: LogIndex($0.offset + 1), data: [UInt8($0.offset)]) })
    return s
  }

  @Test func twoLeadersInOneTermBreakElectionSafety() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    try checker.observeLeader(1, term: 3)
    try checker.observeLeader(1, term: 3)
    try checker.observeLeader(2, term: 4)
    #expect(throws: SimViolation.self) { try checker.observeLeader(2, term: 3) }
  }

  @Test func sameIndexAndTermWithDifferentPrefixBreaksLogMatching() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    let a = try storage([1, 1, 2])
    let b = try storage([1, 2, 2])  // entry 3@2 follows term 2 here, term 1 in `a`
    try checker.recordAppended(1, [Entry(term: 1, index: 1, data: [0]), Entry(term: 1, index: 2, data: [1]), Entry(term: 2, index: 3, data: [2])], storage: a)
    #expect(throws: SimViolation.self) {
      try checker.recordAppended(2, [Entry(term: 2, index: 3, data: [2])], storage: b)
    }
  }

  @Test func differentDataAtSameIndexAndTermBreaksLogMatching() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    let s = try storage([1])
    try checker.recordAppended(1, [Entry(term: 1, index: 1, data: [7])], storage: s)
    #expect(throws: SimViolation.self) { try checker.recordAppended(2, [Entry(term: 1, index: 1, data: [8])], storage: s) }
  }

  @Test func applyingADifferentEntryAtAnIndexBreaksStateMachineSafety() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    let e = Entry(term: 2, index: 2, data: [1])
    try checker.recordApply(1, e, stateHash: SimNode.fold(0, e), nodeTerm: 2)
    try checker.recordApply(2, e, stateHash: SimNode.fold(0, e), nodeTerm: 2)
    let other = Entry(term: 3, index: 2, data: [1])
    #expect(throws: SimViolation.self) { try checker.recordApply(3, other, stateHash: SimNode.fold(0, other), nodeTerm: 3) }
  }

  @Test func leaderMissingACommittedEntryBreaksLeaderCompleteness() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    let e = Entry(term: 2, index: 2, data: [1])
    try checker.recordApply(1, e, stateHash: SimNode.fold(0, e), nodeTerm: 2)
    let stale = MemoryStorage(snapshot: Snapshot(metadata: SnapshotMetadata(index: 1, term: 1)))
    // A leader of an older term may lack it (it is deposed); a leader of term >= 2 may not.
    try checker.checkLeaderCompleteness(3, term: 1, storage: stale)
    #expect(throws: SimViolation.self) { try checker.checkLeaderCompleteness(3, term: 4, storage: stale) }
  }

  @Test func decreasingPersistedCommitIsACommittedEntryLost() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    let s = try storage([1, 1, 1])
    try checker.recordHardState(1, HardState(term: 1, commit: 3), storage: s)
    #expect(throws: SimViolation.self) { try checker.recordHardState(1, HardState(term: 2, commit: 2), storage: s) }
    #expect(throws: SimViolation.self) { try checker.checkAppend(1, [Entry(term: 2, index: 2)], storage: s) }
  }

  @Test func readIndexBelowTheCommitKnownAtRequestTimeIsStale() throws {
    var checker = SimChecker(bootstrapTerm: 1)
    try checker.recordHardState(1, HardState(term: 1, commit: 3), storage: try storage([1, 1, 1]))
    checker.recordReadRequest([1])
    try checker.checkReadState(2, ReadState(index: 3, requestContext: [1]))
    #expect(throws: SimViolation.self) { try checker.checkReadState(2, ReadState(index: 2, requestContext: [1])) }
  }
}

extension RaftSimulationCheckerTests {
  @Test func fullSweepFindsLogsThatAgreeOnATermButDifferBelowIt() throws {
    let checker = SimChecker(bootstrapTerm: 1)
    let a = try storage([1, 1, 2])
    let b = try storage([1, 2, 2])
    let same = try storage([1, 1, 2, 2])
    try checker.checkAllLogs([(1, a), (3, same)])
    #expect(throws: SimViolation.self) { try checker.checkAllLogs([(1, a), (2, b)]) }
  }
}
