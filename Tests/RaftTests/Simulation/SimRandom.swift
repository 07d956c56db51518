// The simulation's only source of randomness: SplitMix64 seeded per run, so a seed replays exactly.

/// A small deterministic PRNG (SplitMix64). Every random choice of a simulation run comes from one of these,
/// seeded from the run's seed, so `RAFT_SIM_SEED=S` replays the same run step for step.
struct SimRandom: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<bound` (bound > 0).
  mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }

  /// A uniform integer in `range`.
  mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

  /// True with probability `p` (0...1).
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

  /// A uniformly chosen element.
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
