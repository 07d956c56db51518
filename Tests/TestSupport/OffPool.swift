import Foundation

/// Runs blocking work (waiting for a process, polling a port) on a Dispatch thread instead of the Swift
/// concurrency pool. Tests run on that pool, which has one thread per core; a test that blocks it starves every
/// other test's async work (gRPC calls then miss their deadlines).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
  }
}
