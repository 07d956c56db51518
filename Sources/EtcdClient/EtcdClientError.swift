import GRPCCore

/// Errors of the etcd client. Server-side errors keep etcd's exact message (e.g. "etcdserver: no leader").
public enum EtcdClientError: Error, CustomStringConvertible, Equatable {
  /// An endpoint string could not be parsed.
  case invalidEndpoint(String, reason: String)
  /// A TLS file (CA, certificate or key) is missing or unreadable.
  case tlsFileUnreadable(path: String, role: String)
  /// No connection could be made, or the connection broke.
  case unavailable(endpoint: String, message: String)
  /// The call did not finish in time.
  case timedOut(endpoint: String, method: String, seconds: Double)
  /// The server answered with an error status.
  case server(endpoint: String, method: String, code: RPCError.Code, message: String)
  /// Every endpoint failed; the last failure of each is listed.
  case allEndpointsFailed([EtcdClientError])
  /// A snapshot could not be written or failed its checksum; nothing was left at `path`.
  case snapshotFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .invalidEndpoint(let text, let reason):
      return "invalid endpoint \"\(text)\": \(reason)"
    case .tlsFileUnreadable(let path, let role):
      return "cannot read the TLS \(role) file \(path); check the path and that this user may read it"
    case .unavailable(let endpoint, let message):
      return "\(endpoint) is unavailable: \(message); check that the member is running and that port is reachable (firewall)"
    case .timedOut(let endpoint, let method, let seconds):
      return "\(endpoint): \(method) timed out after \(seconds) s; the member may have no leader or be overloaded"
    case .server(let endpoint, let method, _, let message):
      return "\(endpoint): \(method): \(message)"
    case .allEndpointsFailed(let errors):
      return "all endpoints failed: " + errors.map(\.description).joined(separator: "; ")
    case .snapshotFailed(let path, let reason):
      return "snapshot \(path): \(reason)"
    }
  }

  /// Whether another endpoint might succeed where this one failed.
  var isRetryableElsewhere: Bool {
    switch self {
    case .unavailable, .timedOut: return true
    case .server(_, _, let code, let message):
      return code == .unavailable || message == Self.noLeaderMessage || message == Self.notCapableMessage
    default: return false
    }
  }
}
