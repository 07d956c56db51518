// The simulated network: per-seed drop, duplication and delay (hence reordering) rates, plus partitions.
import Raft

/// How hostile the network is during the fault phase of a run (chosen per seed).
struct NetworkFaults {
  var dropRate: Double
  var duplicateRate: Double
  /// Normal delays are 1...maxDelay time units; `longDelayRate` of messages wait up to `longDelay`.
  var maxDelay: Int
  var longDelayRate: Double
  var longDelay: Int

  static let quiet = NetworkFaults(dropRate: 0, duplicateRate: 0, maxDelay: 2, longDelayRate: 0, longDelay: 2)

  static func random(_ rng: inout SimRandom) -> NetworkFaults {
    NetworkFaults(
      dropRate: rng.pick([0, 0.01, 0.05, 0.1, 0.2]),
      duplicateRate: rng.pick([0, 0.01, 0.05]),
      maxDelay: rng.int(in: 1...4),
      longDelayRate: rng.pick([0, 0.01, 0.03]),
      longDelay: rng.int(in: 10...60))
  }
}

/// Messages in flight, bucketed by delivery time, and the current partition (a group number per node; nodes in
/// different groups cannot talk).
struct SimNetwork {
  var faults: NetworkFaults
  private var inFlight: [Int: [Message]] = [:]
  private(set) var group: [NodeID: Int] = [:]
  private(set) var count = 0

  init(faults: NetworkFaults) { self.faults = faults }

  var isPartitioned: Bool { Set(group.values).count > 1 }

  func connected(_ a: NodeID, _ b: NodeID) -> Bool { group[a, default: 0] == group[b, default: 0] }

  mutating func partition(_ groups: [NodeID: Int]) { group = groups }

  mutating func heal() { group = [:] }

  /// Queues `message` for delivery (or drops it); returns false when it was dropped at send.
  mutating func send(_ message: Message, now: Int, rng: inout SimRandom) -> Bool {
    if !connected(message.from, message.to) || rng.chance(faults.dropRate) { return false }
    enqueue(message, now: now, rng: &rng)
    if rng.chance(faults.duplicateRate) { enqueue(message, now: now, rng: &rng) }
    return true
  }

  private mutating func enqueue(_ message: Message, now: Int, rng: inout SimRandom) {
    var delay = rng.int(in: 1...faults.maxDelay)
    if faults.longDelayRate > 0, rng.chance(faults.longDelayRate) { delay = rng.int(in: 1...faults.longDelay) }
    inFlight[now + delay, default: []].append(message)
    count += 1
  }

  /// The messages due at `now`, in random order (the partition is checked by the caller at delivery).
  mutating func due(at now: Int, rng: inout SimRandom) -> [Message] {
    guard var batch = inFlight.removeValue(forKey: now) else { return [] }
    count -= batch.count
    batch.shuffle(using: &rng)
    return batch
  }
}
