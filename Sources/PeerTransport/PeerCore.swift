// State shared by the transport's server handlers and its peer links: options, the delegate, per-peer counters.
import Synchronization

/// Holds the delegate without retaining it (the member owns the transport and is its delegate).
private struct WeakDelegate: @unchecked Sendable {
  weak var value: (any PeerTransportDelegate)?
}

final class PeerCore: Sendable {
  let options: PeerTransportOptions
  private let weakDelegate: WeakDelegate
  private let statuses = Mutex<[UInt64: PeerStatus]>([:])
  private let shutdown = Mutex<(stopping: Bool, next: Int, waiters: [Int: CheckedContinuation<Void, Never>])>(
    (false, 0, [:]))

  init(options: PeerTransportOptions, delegate: any PeerTransportDelegate) {
    self.options = options
    self.weakDelegate = WeakDelegate(value: delegate)
  }

  var delegate: (any PeerTransportDelegate)? { weakDelegate.value }

  func log(_ level: PeerLogLevel, _ message: String, _ fields: [String: String] = [:]) {
    options.log(level, message, fields)
  }

  var localID: String { PeerWire.hex(options.memberID) }

  /// Updates the counters of `peer`.
  func update(_ peer: UInt64, _ change: (inout PeerStatus) -> Void) {
    statuses.withLock { change(&$0[peer, default: PeerStatus()]) }
  }

  func forget(_ peer: UInt64) { _ = statuses.withLock { $0.removeValue(forKey: peer) } }

  func allStatuses() -> [UInt64: PeerStatus] { statuses.withLock { $0 } }

  /// Wakes every ``untilStopping()`` waiter: server handlers end their long-lived streams so the listeners can shut
  /// down gracefully (cancelling a server with streams still buffered traps inside NIO).
  func beginStopping() {
    let waiters = shutdown.withLock { state in
      state.stopping = true
      defer { state.waiters = [:] }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once the transport is stopping, or when the calling task is cancelled.
  func untilStopping() async {
    let key = shutdown.withLock { state in
      defer { state.next += 1 }
      return state.next
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let now = shutdown.withLock { state -> Bool in
          if state.stopping || Task.isCancelled { return true }
          state.waiters[key] = continuation
          return false
        }
        if now { continuation.resume() }
      }
    } onCancel: {
      shutdown.withLock { $0.waiters.removeValue(forKey: key) }?.resume()
    }
  }
}
