// The simulation's only source of randomness: SplitMix64 seeded per run, so a seed replays exactly.

import Raft

/// A small deterministic PRNG (SplitMix64). Every random choice of a simulation run comes from one of these,
/// seeded from the run's seed, so `RAFT_SIM_SEED=S` replays the same run step for step.
struct SimRandom: RandomNumberGenerator {
  private var base: SplitMix64

  init(seed: UInt64) { base = SplitMix64(seed: seed) }

  mutating func next() -> UInt64 { base.next() }

  /// A uniform integer in `0..<bound` (bound > 0).
  mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }

  /// A uniform integer in `range`.
  mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

  /// True with probability `p` (0...1).
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

  /// A uniformly chosen element.
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
