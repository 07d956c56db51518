// The three metric kinds. Updating an existing series takes no allocation: counters and gauges are atomics,
// a histogram is a small lock around a fixed array of bucket counts.
import Synchronization

/// A monotonically increasing count (Prometheus counter).
public final class Counter: Sendable {
  private let count = Atomic<UInt64>(0)

  init() {}

  public func increment(by amount: UInt64 = 1) {
    count.wrappingAdd(amount, ordering: .relaxed)
  }

  public var value: UInt64 { count.load(ordering: .relaxed) }

  /// Raises the count to `total` (a count kept elsewhere, copied at scrape time); a lower `total` changes nothing,
  /// so the counter never goes down.
  public func advance(to total: UInt64) {
    var current = count.load(ordering: .relaxed)
    while current < total {
      let (exchanged, found) = count.compareExchange(
        expected: current, desired: total, ordering: .relaxed)
      if exchanged { return }
      current = found
    }
  }
}

/// A value that goes up and down (Prometheus gauge).
public final class Gauge: Sendable {
  private let bits = Atomic<UInt64>(Double(0).bitPattern)

  init() {}

  public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }

  public func set(_ value: Int) { set(Double(value)) }

  public func add(_ delta: Double) {
    var current = bits.load(ordering: .relaxed)
    while true {
      let next = (Double(bitPattern: current) + delta).bitPattern
      let (exchanged, original) = bits.compareExchange(
        expected: current, desired: next, ordering: .relaxed)
      if exchanged { return }
      current = original
    }
  }

  public func increment() { add(1) }
  public func decrement() { add(-1) }

  public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// Observations counted into fixed buckets (Prometheus histogram), with their sum and count.
public final class Histogram: Sendable {
  /// Upper bounds, ascending, without +Inf.
  public let upperBounds: [Double]

  struct State {
    var counts: [UInt64]  // per bucket, not cumulative; the last one is +Inf
    var sum: Double = 0
  }
  private let state: Mutex<State>

  init(upperBounds: [Double]) {
    self.upperBounds = upperBounds
    state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
  }

  public func observe(_ value: Double) {
    var index = upperBounds.count
    for (position, bound) in upperBounds.enumerated() where value <= bound {
      index = position
      break
    }
    state.withLock { state in
      state.counts[index] &+= 1
      state.sum += value
    }
  }

  /// Observes a duration in seconds.
  public func observe(_ duration: Duration) { observe(duration.inSeconds) }

  /// Cumulative bucket counts (one per upper bound, then +Inf), the sum and the count.
  public var snapshot: (cumulative: [UInt64], sum: Double, count: UInt64) {
    let (counts, sum) = state.withLock { ($0.counts, $0.sum) }
    var running: UInt64 = 0
    let cumulative = counts.map { count -> UInt64 in
      running &+= count
      return running
    }
    return (cumulative, sum, running)
  }
}

extension Duration {
  /// The duration in (fractional) seconds, as Prometheus reports times.
  var inSeconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
