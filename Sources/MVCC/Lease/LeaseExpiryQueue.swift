// The primary lessor's schedule of lease expiries (etcd's LeaseExpiredNotifier): a binary min-heap indexed by lease
// ID, so a renew or revoke moves or removes its lease's entry in O(log n).

/// Lease IDs ordered by the time (in nanoseconds) the lessor next looks at them, earliest first, ties by ID.
struct LeaseExpiryQueue {
  private var heap: [(time: Int64, id: LeaseID)] = []
  private var positions: [LeaseID: Int] = [:]

  /// Number of scheduled leases.
  var count: Int { heap.count }

  /// The earliest entry.
  var first: (time: Int64, id: LeaseID)? { heap.first }

  /// The time `id` is scheduled at.
  func time(of id: LeaseID) -> Int64? { positions[id].map { heap[$0].time } }

  /// Schedules `id` at `time`, moving it when it is already scheduled.
  mutating func schedule(_ id: LeaseID, at time: Int64) {
    if let position = positions[id] {
      let earlier = time < heap[position].time
      heap[position].time = time
      if earlier { siftUp(position) } else { siftDown(position) }
    } else {
      heap.append((time, id))
      positions[id] = heap.count - 1
      siftUp(heap.count - 1)
    }
  }

  /// Unschedules `id` (nothing happens when it is not scheduled).
  mutating func remove(_ id: LeaseID) {
    guard let position = positions.removeValue(forKey: id) else { return }
    let last = heap.removeLast()
    guard position < heap.count else { return }
    heap[position] = last
    positions[last.id] = position
    siftUp(position)
    siftDown(positions[last.id]!)
  }

  /// Unschedules everything.
  mutating func removeAll() {
    heap.removeAll()
    positions.removeAll()
  }

  @inline(__always)
  private func precedes(_ a: Int, _ b: Int) -> Bool {
    heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].id < heap[b].id
  }

  private mutating func swapAt(_ a: Int, _ b: Int) {
    heap.swapAt(a, b)
    positions[heap[a].id] = a
    positions[heap[b].id] = b
  }

  private mutating func siftUp(_ start: Int) {
    var child = start
    while child > 0 {
      let parent = (child - 1) / 2
      guard precedes(child, parent) else { return }
      swapAt(child, parent)
      child = parent
    }
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1
      guard left < heap.count else { return }
      var smallest = left
      if left + 1 < heap.count && precedes(left + 1, left) { smallest = left + 1 }
      guard precedes(smallest, parent) else { return }
      swapAt(smallest, parent)
      parent = smallest
    }
  }
}
