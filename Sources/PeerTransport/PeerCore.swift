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

  func status(of peer: UInt64) -> PeerStatus { statuses.withLock { $0[peer] ?? PeerStatus() } }

  func forget(_ peer: UInt64) { _ = statuses.withLock { $0.removeValue(forKey: peer) } }

  func allStatuses() -> [UInt64: PeerStatus] { statuses.withLock { $0 } }
}
