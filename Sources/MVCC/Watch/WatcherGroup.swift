// The synced watchers indexed by what they watch: a hash map for single keys (a write costs one lookup, however
// many single-key watchers exist) and an interval index for ranges (watchers on the same range share one slot).

/// A key hashed as one block of bytes (an array of bytes hashes byte by byte, which dominates short lookups).
private struct HashedKey: Hashable {
  let bytes: [UInt8]

  func hash(into hasher: inout Hasher) {
    bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
  }
}

/// Watchers indexed by key and by range.
struct WatcherGroup {
  private var singles: [HashedKey: [Watcher]] = [:]
  private var ranges = RangeWatcherIndex()
  /// How many watchers the group holds.
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }

  mutating func add(_ watcher: Watcher) {
    count += 1
    if watcher.range.isSingleKey {
      singles[HashedKey(bytes: watcher.range.key), default: []].append(watcher)
    } else {
      ranges.add(watcher)
    }
  }

  /// Removes `watcher`; returns false when it was not in the group.
  @discardableResult
  mutating func remove(_ watcher: Watcher) -> Bool {
    if watcher.range.isSingleKey {
      let key = HashedKey(bytes: watcher.range.key)
      guard var list = singles[key], let at = list.firstIndex(where: { $0 === watcher }) else { return false }
      list.swapAt(at, list.count - 1)
      list.removeLast()
      singles[key] = list.isEmpty ? nil : list
    } else {
      guard ranges.remove(watcher) else { return false }
    }
    count -= 1
    return true
  }

  /// Appends every watcher whose range holds `key` to `matches`.
  mutating func collect(matching key: [UInt8], into matches: inout [Watcher]) {
    if let list = singles[HashedKey(bytes: key)] { matches.append(contentsOf: list) }
    ranges.collect(matching: key, into: &matches)
  }
}
