// bcrypt is slow by design (tens of milliseconds at cost 10): hashing and checking passwords run on a dispatch queue
// of their own, never on Swift's cooperative pool, so a burst of `user add` or Authenticate calls cannot stall
// every other request of the member.

import Dispatch

/// Runs password work off the cooperative pool.
enum PasswordWork {
  private static let queue = DispatchQueue(label: "swetcd.auth.bcrypt", qos: .userInitiated, attributes: .concurrent)

  /// Runs `body` on the password queue and returns its outcome.
  static func run<T: Sendable>(_ body: @escaping @Sendable () throws(AuthError) -> T) async throws(AuthError) -> T {
    let result: Result<T, AuthError> = await withCheckedContinuation { continuation in
      queue.async { continuation.resume(returning: Result { () throws(AuthError) -> T in try body() }) }
    }
    return try result.get()
  }
}
