import Foundation

/// Runs blocking work (a child process, hashing a large file) on a thread of its own and waits for it without
/// holding one of Swift's few cooperative threads, which every other task of the command needs meanwhile.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws(OpsError) -> T) async throws(OpsError) -> T {
  let result: Result<T, OpsError> = await withCheckedContinuation { continuation in
    Thread.detachNewThread {
      do throws(OpsError) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
    }
  }
  return try result.get()
}
