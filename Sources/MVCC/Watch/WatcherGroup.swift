// The synced watchers indexed by what they watch: a hash map for single keys (a write costs one lookup, however
// many single-key watchers exist) and one slot per distinct range (watchers on the same prefix share one check).

/// Watchers indexed by key and by range.
struct WatcherGroup {
  private struct RangeSlot {
    var range: KeyRange
    var watchers: [Watcher]
  }

  private var singles: [[UInt8]: [Watcher]] = [:]
  private var slots: [RangeSlot] = []
  private var slotIndex: [KeyRange: Int] = [:]
  /// How many watchers the group holds.
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }

  mutating func add(_ watcher: Watcher) {
    count += 1
    if watcher.range.isSingleKey {
      singles[watcher.range.key, default: []].append(watcher)
    } else if let index = slotIndex[watcher.range] {
      slots[index].watchers.append(watcher)
    } else {
      slotIndex[watcher.range] = slots.count
      slots.append(RangeSlot(range: watcher.range, watchers: [watcher]))
    }
  }

  /// Removes `watcher`; returns false when it was not in the group.
  @discardableResult
  mutating func remove(_ watcher: Watcher) -> Bool {
    if watcher.range.isSingleKey {
      guard var list = singles[watcher.range.key], let at = list.firstIndex(where: { $0 === watcher }) else {
        return false
      }
      list.swapAt(at, list.count - 1)
      list.removeLast()
      singles[watcher.range.key] = list.isEmpty ? nil : list
    } else {
      guard let index = slotIndex[watcher.range],
        let at = slots[index].watchers.firstIndex(where: { $0 === watcher })
      else { return false }
      slots[index].watchers.swapAt(at, slots[index].watchers.count - 1)
      slots[index].watchers.removeLast()
      if slots[index].watchers.isEmpty {
        slotIndex[watcher.range] = nil
        let last = slots.count - 1
        if index != last {
          slots.swapAt(index, last)
          slotIndex[slots[index].range] = index
        }
        slots.removeLast()
      }
    }
    count -= 1
    return true
  }

  /// Appends every watcher whose range holds `key` to `matches`.
  func collect(matching key: [UInt8], into matches: inout [Watcher]) {
    if let list = singles[key] { matches.append(contentsOf: list) }
    for slot in slots where slot.range.contains(key) {
      matches.append(contentsOf: slot.watchers)
    }
  }
}
