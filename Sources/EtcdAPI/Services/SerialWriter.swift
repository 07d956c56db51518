// Writes of two tasks to one gRPC response stream, one at a time and in the order they asked (a watch stream's
// events and its refused creates). Uncontended, a write costs two short lock sections.

import GRPCCore
import Synchronization

/// An `RPCWriter` shared by tasks.
final class SerialWriter<Element: Sendable>: Sendable {
  private struct State {
    var busy = false
    var waiting: [CheckedContinuation<Void, Never>] = []
  }

  private let writer: RPCWriter<Element>
  private let state = Mutex(State())

  init(_ writer: RPCWriter<Element>) { self.writer = writer }

  /// Writes `element` once no other write is in progress.
  func write(_ element: Element) async throws {
    await acquire()
    defer { release() }
    try await writer.write(element)
  }

  private func acquire() async {
    let free = state.withLock { state -> Bool in
      guard state.busy else {
        state.busy = true
        return true
      }
      return false
    }
    if free { return }
    await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Bool in
        guard state.busy else {
          state.busy = true
          return true
        }
        state.waiting.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }

  private func release() {
    let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
      guard !state.waiting.isEmpty else {
        state.busy = false
        return nil
      }
      // The lock passes straight to the first waiter: `busy` stays set.
      return state.waiting.removeFirst()
    }
    next?.resume()
  }
}
