import Foundation

/// Polls `condition` every `interval` until it holds (true) or `seconds` pass (false); a last check runs at the
/// deadline. Sleeps with `Task.sleep`, so waiting never blocks the concurrency pool.
public func eventually(
  within seconds: Double, every interval: Duration = .milliseconds(200), _ condition: () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
  while ContinuousClock.now < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: interval)
  }
  return try await condition()
}
