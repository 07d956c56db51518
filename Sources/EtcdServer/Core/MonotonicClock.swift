// The member's monotonic time: the Raft loop, leases and batch commits measure intervals with it, never with the
// wall clock (which an operator or NTP may step).

/// Time since the member started, from the system's monotonic clock.
public struct MonotonicClock: Sendable {
  private let start: ContinuousClock.Instant

  /// A clock whose zero is now.
  public init() { start = ContinuousClock.now }

  /// The time elapsed since the clock was made.
  public func now() -> Duration { ContinuousClock.now - start }
}
