// The one error type of the PeerTransport module.

/// What went wrong in the peer transport, with what to do about it.
public enum PeerTransportError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A listen or peer URL could not be parsed.
  case invalidURL(String, reason: String)
  /// An https URL was given without TLS settings.
  case missingTLS(url: String)
  /// A TLS file could not be read or used.
  case tlsFile(path: String, role: String, message: String)
  /// A listen URL could not be bound.
  case bindFailed(url: String, message: String)
  /// Bytes received from a peer are not a valid encoded message.
  case malformed(String)
  /// A snapshot could not be sent or received.
  case snapshotFailed(String)
  /// No peer answered a membership request.
  case membershipUnavailable(urls: [String], message: String)
  /// The transport was used in the wrong state (started twice, used after stop).
  case invalidState(String)

  public var description: String {
    switch self {
    case .invalidURL(let url, let reason):
      return "invalid peer URL \"\(url)\": \(reason); use http://host:port or https://host:port"
    case .missingTLS(let url):
      return "peer URL \(url) uses https but no peer TLS is configured; give --peer-cert-file and --peer-key-file "
        + "(or --peer-auto-tls), or use http"
    case .tlsFile(let path, let role, let message):
      return "cannot use peer TLS \(role) file \(path): \(message); check that the file exists, is readable and is PEM"
    case .bindFailed(let url, let message):
      return "cannot listen for peers on \(url): \(message); free the port or choose another --listen-peer-urls"
    case .malformed(let what):
      return "malformed peer message: \(what); the peer runs an incompatible swetcd version or the data was corrupted"
    case .snapshotFailed(let what):
      return "snapshot transfer failed: \(what); the leader retries with a new snapshot"
    case .membershipUnavailable(let urls, let message):
      return "could not get the cluster membership from \(urls.joined(separator: ",")): \(message); check that "
        + "--initial-cluster names running members and that their peer URLs are reachable"
    case .invalidState(let what):
      return "peer transport: \(what)"
    }
  }
}
