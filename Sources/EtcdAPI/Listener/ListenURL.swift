// A parsed --listen-client-urls entry.

/// One client listen address: scheme (http or https), host and port. Port 0 asks the kernel for a free port.
public struct ListenURL: Sendable, Hashable, CustomStringConvertible {
  /// Whether connections are plaintext or TLS.
  public enum Scheme: String, Sendable { case http, https }

  public var scheme: Scheme
  /// An IP address or a host name (`localhost`); IPv6 addresses without brackets.
  public var host: String
  public var port: Int

  public init(scheme: Scheme, host: String, port: Int) {
    self.scheme = scheme
    self.host = host
    self.port = port
  }

  /// Parses `http://host:port` or `https://host:port` (IPv6 as `http://[::1]:2379`); a trailing `/` is allowed.
  public init(parsing text: String) throws(EtcdAPIError) {
    let schemeEnd = text.range(of: "://")
    guard let schemeEnd, let scheme = Scheme(rawValue: String(text[..<schemeEnd.lowerBound]).lowercased()) else {
      throw .invalidListenURL(text, reason: "the scheme must be http or https")
    }
    var rest = Substring(text[schemeEnd.upperBound...])
    if rest.hasSuffix("/") { rest = rest.dropLast() }
    guard !rest.contains("/") else { throw .invalidListenURL(text, reason: "a listen URL has no path") }
    let host: Substring
    let portText: Substring
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
        throw .invalidListenURL(text, reason: "an IPv6 host needs the form [address]:port")
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
      portText = rest[rest.index(close, offsetBy: 2)...]
    } else {
      guard let colon = rest.lastIndex(of: ":") else { throw .invalidListenURL(text, reason: "the port is missing") }
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    }
    guard !host.isEmpty else { throw .invalidListenURL(text, reason: "the host is missing") }
    guard let port = Int(portText), (0...65_535).contains(port) else {
      throw .invalidListenURL(text, reason: "the port must be a number from 0 to 65535")
    }
    self.init(scheme: scheme, host: String(host), port: port)
  }

  /// `scheme://host:port`, brackets around IPv6 hosts.
  public var description: String {
    let shownHost = host.contains(":") ? "[\(host)]" : host
    return "\(scheme.rawValue)://\(shownHost):\(port)"
  }
}
