// The not-yet-persisted tail of the log (and possibly a not-yet-persisted snapshot).

/// Entries and a snapshot the node has accepted but the application has not yet persisted.
/// `entries[i]` has index `offset + i`. The snapshot, if any, precedes `offset`.
struct UnstableLog: Sendable {
  var snapshot: Snapshot?
  var entries: [Entry] = []
  var offset: LogIndex

  /// The first index if a snapshot is pending (snapshot index + 1).
  var maybeFirstIndex: LogIndex? {
    snapshot.map { $0.metadata.index + 1 }
  }

  /// The last index held here, if any.
  var maybeLastIndex: LogIndex? {
    if !entries.isEmpty { return offset + UInt64(entries.count) - 1 }
    return snapshot?.metadata.index
  }

  /// The term at `index` if this unstable part knows it.
  func maybeTerm(_ index: LogIndex) -> Term? {
    if index < offset {
      if let snapshot, snapshot.metadata.index == index { return snapshot.metadata.term }
      return nil
    }
    guard let last = maybeLastIndex, index <= last else { return nil }
    return entries[Int(index - offset)].term
  }

  /// The application persisted entries up to (index, term): drop them from here.
  mutating func stableTo(index: LogIndex, term: Term) {
    guard let t = maybeTerm(index), t == term, index >= offset else { return }
    entries.removeFirst(Int(index + 1 - offset))
    offset = index + 1
  }

  /// The application persisted the snapshot at `index`.
  mutating func stableSnapTo(_ index: LogIndex) {
    if let snapshot, snapshot.metadata.index == index { self.snapshot = nil }
  }

  /// Replaces everything with a snapshot.
  mutating func restore(_ snapshot: Snapshot) {
    offset = snapshot.metadata.index + 1
    entries = []
    self.snapshot = snapshot
  }

  /// Appends entries, truncating any conflicting suffix first.
  mutating func truncateAndAppend(_ newEntries: [Entry]) {
    guard let first = newEntries.first else { return }
    let after = first.index
    if after == offset + UInt64(entries.count) {
      entries.append(contentsOf: newEntries)
    } else if after <= offset {
      // Replaces the whole unstable part (and whatever was persisted from `after` on).
      offset = after
      entries = newEntries
    } else {
      entries = Array(entries[0..<Int(after - offset)]) + newEntries
    }
  }

  /// Entries in [low, high); the caller checked the bounds.
  func slice(_ low: LogIndex, _ high: LogIndex) -> [Entry] {
    precondition(low >= offset && high <= offset + UInt64(entries.count) && low <= high,
                 "unstable slice [\(low), \(high)) out of bounds [\(offset), \(offset + UInt64(entries.count)))")
    return Array(entries[Int(low - offset)..<Int(high - offset)])
  }
}
