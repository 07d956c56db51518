// The node's view of the whole log: the durable storage plus the unstable tail, commit and apply positions.

/// The log as the Raft state machine sees it.
struct RaftLog: Sendable {
  let storage: any RaftStorage
  var unstable: UnstableLog
  /// Highest index known committed.
  var committed: LogIndex
  /// Highest index the application reported applied.
  var applied: LogIndex
  /// Byte limit of committed entries handed out per Ready.
  let maxNextEntriesSize: UInt64

  init(storage: any RaftStorage, maxNextEntriesSize: UInt64) {
    self.storage = storage
    let first = storage.firstIndex()
    let last = storage.lastIndex()
    unstable = UnstableLog(snapshot: nil, entries: [], offset: last + 1)
    committed = first - 1
    applied = first - 1
    self.maxNextEntriesSize = maxNextEntriesSize
  }

  var firstIndex: LogIndex { unstable.maybeFirstIndex ?? storage.firstIndex() }
  var lastIndex: LogIndex { unstable.maybeLastIndex ?? storage.lastIndex() }
  var lastTerm: Term { (try? term(lastIndex)) ?? 0 }

  /// The term of the entry at `index`. Out of the range [firstIndex - 1, lastIndex] the answer is 0 (no entry),
  /// except that compacted indexes throw `.compacted`.
  func term(_ index: LogIndex) throws(StorageError) -> Term {
    let dummy = firstIndex - 1
    if index < dummy || index > lastIndex { return 0 }
    if let t = unstable.maybeTerm(index) { return t }
    return try storage.term(of: index)
  }

  /// The term at `index`, or 0 when it cannot be known.
  func zeroTerm(_ index: LogIndex) -> Term { (try? term(index)) ?? 0 }

  func matchTerm(_ index: LogIndex, _ term: Term) -> Bool {
    guard let t = try? self.term(index) else { return false }
    return t == term
  }

  /// §5.4.1: a candidate's log (lastIndex, lastTerm) is at least as up to date as ours.
  func isUpToDate(lastIndex index: LogIndex, term: Term) -> Bool {
    term > lastTerm || (term == lastTerm && index >= lastIndex)
  }

  /// Appends after checking the leader's (index, logTerm); returns the last new index on success (§5.3).
  mutating func maybeAppend(index: LogIndex, logTerm: Term, commit: LogIndex, entries: [Entry]) -> LogIndex? {
    guard matchTerm(index, logTerm) else { return nil }
    let lastNew = index + UInt64(entries.count)
    let conflict = findConflict(entries)
    if conflict != 0 {
      precondition(conflict > committed, "entry \(conflict) conflicts with committed entry (committed \(committed))")
      append(Array(entries[Int(conflict - index - 1)...]))
    }
    commitTo(min(commit, lastNew))
    return lastNew
  }

  /// Appends entries (truncating a conflicting unstable suffix) and returns the new last index.
  @discardableResult
  mutating func append(_ entries: [Entry]) -> LogIndex {
    guard let first = entries.first else { return lastIndex }
    precondition(first.index - 1 >= committed, "append after \(first.index - 1) would overwrite committed \(committed)")
    unstable.truncateAndAppend(entries)
    return lastIndex
  }

  /// The index of the first entry whose term differs from ours (or that we lack), 0 if all match.
  func findConflict(_ entries: [Entry]) -> LogIndex {
    for e in entries where !matchTerm(e.index, e.term) { return e.index }
    return 0
  }

  /// The largest index <= `index` whose term is <= `term`, with that term: the fast-backtracking probe point.
  func findConflictByTerm(index: LogIndex, term: Term) -> (LogIndex, Term) {
    var i = index
    while true {
      guard let t = try? self.term(i) else { return (i, 0) }
      if t <= term || i == 0 { return (i, t) }
      i -= 1
    }
  }

  var unstableEntries: [Entry] { unstable.entries }

  /// Committed entries not yet applied, limited to `maxNextEntriesSize` bytes.
  func nextCommittedEntries() -> [Entry] {
    let off = max(applied + 1, firstIndex)
    guard committed + 1 > off else { return [] }
    return (try? slice(off, committed + 1, maxSize: maxNextEntriesSize)) ?? []
  }

  var hasNextCommittedEntries: Bool {
    committed + 1 > max(applied + 1, firstIndex)
  }

  var hasPendingSnapshot: Bool { unstable.snapshot.map { !$0.isEmpty } ?? false }

  func snapshot() throws(StorageError) -> Snapshot {
    if let s = unstable.snapshot { return s }
    return try storage.snapshot()
  }

  mutating func commitTo(_ index: LogIndex) {
    guard committed < index else { return }
    precondition(index <= lastIndex, "commit \(index) is out of range [last index \(lastIndex)]; log corrupted?")
    committed = index
  }

  mutating func appliedTo(_ index: LogIndex) {
    guard index != 0 else { return }
    precondition(committed >= index && index >= applied,
                 "applied \(index) out of range [prev applied \(applied), committed \(committed)]")
    applied = index
  }

  mutating func stableTo(index: LogIndex, term: Term) { unstable.stableTo(index: index, term: term) }
  mutating func stableSnapTo(_ index: LogIndex) { unstable.stableSnapTo(index) }

  /// Commits `maxIndex` if its entry is from `term` (§5.4.2: only current-term entries commit by counting).
  mutating func maybeCommit(maxIndex: LogIndex, term: Term) -> Bool {
    if maxIndex > committed && zeroTerm(maxIndex) == term {
      commitTo(maxIndex)
      return true
    }
    return false
  }

  mutating func restore(_ snapshot: Snapshot) {
    committed = snapshot.metadata.index
    unstable.restore(snapshot)
  }

  /// Entries from `index` to the end, at most `maxSize` bytes (at least one).
  func entries(from index: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry] {
    if index > lastIndex { return [] }
    return try slice(index, lastIndex + 1, maxSize: maxSize)
  }

  /// All entries (for tests).
  func allEntries() -> [Entry] {
    (try? entries(from: firstIndex, maxSize: .max)) ?? []
  }

  /// Entries in [low, high), at most `maxSize` bytes (at least one).
  func slice(_ low: LogIndex, _ high: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry] {
    precondition(low <= high, "invalid slice \(low) > \(high)")
    if low < firstIndex { throw .compacted }
    precondition(high <= lastIndex + 1, "slice [\(low), \(high)) out of bound [\(firstIndex), \(lastIndex)]")
    if low == high { return [] }
    var result: [Entry] = []
    if low < unstable.offset {
      let storedHigh = min(high, unstable.offset)
      let stored: [Entry]
      do {
        stored = try storage.entries(from: low, to: storedHigh, maxSize: maxSize)
      } catch .compacted {
        throw .compacted
      } catch {
        preconditionFailure("entries [\(low), \(storedHigh)) unavailable from storage: \(error)")
      }
      if UInt64(stored.count) < storedHigh - low { return stored }
      result = stored
    }
    if high > unstable.offset {
      result.append(contentsOf: unstable.slice(max(low, unstable.offset), high))
    }
    return limitSize(result, maxSize)
  }
}
