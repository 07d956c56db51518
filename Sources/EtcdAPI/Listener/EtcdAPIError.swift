// The one error type of module EtcdAPI: what went wrong setting up or running a client listener.

/// Errors of the client API layer. Each description says what happened and what to do about it.
public enum EtcdAPIError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A `--listen-client-urls` entry is not `http://host:port` or `https://host:port`.
  case invalidListenURL(String, reason: String)
  /// `--cipher-suites` names a suite etcd does not know (etcd's own message).
  case unknownCipherSuite(String)
  /// An https listener has neither a certificate/key pair nor auto-TLS.
  case missingCertificate(url: String)
  /// A TLS file could not be read or parsed.
  case tlsFile(path: String, role: String, message: String)
  /// The listener could not bind its address.
  case bindFailed(url: String, message: String)
  /// `start()` was called twice, or a call needs a running listener.
  case invalidState(String)

  public var description: String {
    switch self {
    case .invalidListenURL(let url, let reason):
      return "invalid listen URL \(url.debugDescription): \(reason); use http://host:port or https://host:port"
    case .unknownCipherSuite(let name):
      return "unexpected TLS cipher suite \(name.debugDescription)"
    case .missingCertificate(let url):
      return "listener \(url) uses https but no certificate is configured; pass --cert-file and --key-file, or --auto-tls"
    case .tlsFile(let path, let role, let message):
      return "cannot use \(role) file \(path): \(message); check that the file exists, is readable and holds PEM data"
    case .bindFailed(let url, let message):
      return "cannot listen on \(url): \(message); choose a free port or stop the process that holds it"
    case .invalidState(let message):
      return "\(message)"
    }
  }
}
