// The sliding window of append messages sent to a follower but not yet acknowledged.

/// A bounded FIFO of the last indexes of in-flight append messages (flow control in replicate state).
struct Inflights: Sendable, Hashable {
  let capacity: Int
  private(set) var indexes: [LogIndex] = []
  private var start = 0

  init(capacity: Int) { self.capacity = capacity }

  var count: Int { indexes.count - start }
  var isFull: Bool { count >= capacity }

  /// Records a message whose last entry is `index` (indexes are added in increasing order).
  mutating func add(_ index: LogIndex) {
    precondition(!isFull, "cannot add into a full inflights window")
    indexes.append(index)
  }

  /// Frees every in-flight message whose last index is <= `index`.
  mutating func freeLE(_ index: LogIndex) {
    while start < indexes.count && indexes[start] <= index { start += 1 }
    if start == indexes.count || start > 64 {
      indexes.removeFirst(start)
      start = 0
    }
  }

  /// Frees the oldest in-flight message.
  mutating func freeFirst() {
    guard count > 0 else { return }
    freeLE(indexes[start])
  }

  mutating func reset() {
    indexes = []
    start = 0
  }
}
