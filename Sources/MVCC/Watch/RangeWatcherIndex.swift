// Range watchers indexed for stabbing queries ("which ranges hold this key?"): distinct ranges kept sorted by start,
// read as an implicit balanced tree (the middle of each span is its root) whose nodes know the largest end below
// them. A query costs O(log R + matches) instead of checking all R ranges; a change costs one binary search and one
// array insert or removal, and marks the end summaries for a rebuild (O(R), done by the next query).

/// Watchers on key intervals, grouped by distinct range.
struct RangeWatcherIndex {
  /// The upper end of a range: a key (exclusive) or no end at all.
  private enum End: Comparable {
    case key([UInt8])
    case unbounded

    static func < (lhs: End, rhs: End) -> Bool {
      switch (lhs, rhs) {
      case (.key(let a), .key(let b)): return a.lexicographicallyPrecedes(b)
      case (.key, .unbounded): return true
      case (.unbounded, _): return false
      }
    }

    /// Whether `key` lies below this end.
    @inline(__always)
    func isAbove(_ key: [UInt8]) -> Bool {
      switch self {
      case .key(let end): return key.lexicographicallyPrecedes(end)
      case .unbounded: return true
      }
    }
  }

  private struct Slot {
    var range: KeyRange
    var start: [UInt8]
    var end: End
    var watchers: [Watcher]
  }

  private var slots: [Slot] = []
  /// The largest end in the implicit subtree rooted at each index (valid when `summariesValid`).
  private var maxEnd: [End] = []
  private var summariesValid = true

  var isEmpty: Bool { slots.isEmpty }

  mutating func add(_ watcher: Watcher) {
    let (start, end) = Self.bounds(of: watcher.range)
    let at = position(start: start, end: end)
    if at < slots.count && slots[at].start == start && slots[at].end == end {
      slots[at].watchers.append(watcher)
    } else {
      slots.insert(Slot(range: watcher.range, start: start, end: end, watchers: [watcher]), at: at)
      summariesValid = false
    }
  }

  /// Removes `watcher`; false when it is not in the index.
  mutating func remove(_ watcher: Watcher) -> Bool {
    let (start, end) = Self.bounds(of: watcher.range)
    let at = position(start: start, end: end)
    guard at < slots.count, slots[at].start == start, slots[at].end == end,
      let index = slots[at].watchers.firstIndex(where: { $0 === watcher })
    else { return false }
    slots[at].watchers.swapAt(index, slots[at].watchers.count - 1)
    slots[at].watchers.removeLast()
    if slots[at].watchers.isEmpty {
      slots.remove(at: at)
      summariesValid = false
    }
    return true
  }

  /// Appends every watcher whose range holds `key`.
  mutating func collect(matching key: [UInt8], into matches: inout [Watcher]) {
    guard !slots.isEmpty else { return }
    if !summariesValid { rebuildSummaries() }
    visit(0, slots.count, key, &matches)
  }

  private func visit(_ low: Int, _ high: Int, _ key: [UInt8], _ matches: inout [Watcher]) {
    guard low < high else { return }
    let mid = (low + high) / 2
    guard maxEnd[mid].isAbove(key) else { return }  // every range below ends at or before the key
    visit(low, mid, key, &matches)
    let slot = slots[mid]
    guard !key.lexicographicallyPrecedes(slot.start) else { return }  // this and all later ranges start after it
    if slot.end.isAbove(key) { matches.append(contentsOf: slot.watchers) }
    visit(mid + 1, high, key, &matches)
  }

  private mutating func rebuildSummaries() {
    maxEnd = slots.map(\.end)
    summarize(0, slots.count)
    summariesValid = true
  }

  @discardableResult
  private mutating func summarize(_ low: Int, _ high: Int) -> End? {
    guard low < high else { return nil }
    let mid = (low + high) / 2
    var largest = slots[mid].end
    if let left = summarize(low, mid), largest < left { largest = left }
    if let right = summarize(mid + 1, high), largest < right { largest = right }
    maxEnd[mid] = largest
    return largest
  }

  /// The index of the first slot not ordered before (start, end).
  private func position(start: [UInt8], end: End) -> Int {
    var low = 0
    var high = slots.count
    while low < high {
      let mid = (low + high) / 2
      let slot = slots[mid]
      let before = slot.start.lexicographicallyPrecedes(start) || (slot.start == start && slot.end < end)
      if before { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// A range as [start, end), with KeyRange's conventions ([0]/[0] is every key).
  private static func bounds(of range: KeyRange) -> ([UInt8], End) {
    guard range.isOpenEnded else { return (range.key, .key(range.end)) }
    return (range.key == [0] ? [] : range.key, .unbounded)
  }
}
