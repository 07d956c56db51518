// bcrypt is slow by design (tens of milliseconds at cost 10): hashing and checking passwords run on threads of their
// own, never on Swift's cooperative pool, so a burst of `user add` or Authenticate calls cannot stall every other
// request of the member. (Not on a Dispatch queue either: on Linux, Dispatch's worker threads are the ones the
// cooperative pool runs on.) At most `parallelism` run at once; more wait their turn on their own threads.

import Dispatch
import Foundation

/// Runs password work off the cooperative pool.
enum PasswordWork {
  /// How many bcrypt computations may run at the same time.
  static let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
  private static let slots = DispatchSemaphore(value: parallelism)

  /// Runs `body` on a thread of its own and returns its outcome.
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws(AuthError) -> T) async throws(AuthError) -> T {
    let result: Result<T, AuthError> = await withCheckedContinuation { continuation in
      let thread = Thread {
        slots.wait()
        let outcome = Result { () throws(AuthError) -> T in try body() }
        slots.signal()
        continuation.resume(returning: outcome)
      }
      thread.name = "bcrypt"
      thread.start()
    }
    return try result.get()
  }
}
