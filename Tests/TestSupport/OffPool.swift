import Foundation

/// Runs blocking work (waiting for a process, polling a port) on a thread of its own instead of the Swift
/// concurrency pool. Tests run on that pool, which has one thread per core; a test that blocks it starves every
/// other test's async work (gRPC calls then miss their deadlines). Not on `DispatchQueue.global()`: on Linux its
/// workers are the same threads as the cooperative pool's, so parking work there blocks the pool too.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
  }
}
