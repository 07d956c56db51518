import Foundation

/// One etcd client endpoint, as etcdctl accepts them: `https://10.0.0.1:2379`, `http://host:2379`, `10.0.0.1:2379`
/// (plain, like etcdctl without a scheme) or `[::1]:2379`.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
  public enum Scheme: String, Sendable { case http, https }

  public var scheme: Scheme
  public var host: String
  public var port: Int

  public init(scheme: Scheme, host: String, port: Int) {
    self.scheme = scheme
    self.host = host
    self.port = port
  }

  /// Parses an endpoint string; the error says what form is expected.
  public init(parsing text: String) throws(EtcdClientError) {
    var rest = Substring(text.trimmingCharacters(in: .whitespaces))
    var scheme = Scheme.http
    if let range = rest.range(of: "://") {
      guard let parsed = Scheme(rawValue: rest[..<range.lowerBound].lowercased()) else {
        throw .invalidEndpoint(text, reason: "scheme must be http or https")
      }
      scheme = parsed
      rest = rest[range.upperBound...]
    }
    if rest.hasSuffix("/") { rest = rest.dropLast() }
    let host: Substring
    let portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { throw .invalidEndpoint(text, reason: "missing ']' after IPv6 address") }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      portText = after.hasPrefix(":") ? after.dropFirst() : nil
      guard after.isEmpty || after.hasPrefix(":") else { throw .invalidEndpoint(text, reason: "expected ':port' after ']'") }
    } else if let colon = rest.lastIndex(of: ":") {
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
      portText = nil
    }
    guard !host.isEmpty, !host.contains("/") else { throw .invalidEndpoint(text, reason: "expected host:port, e.g. 10.0.0.1:2379") }
    var port = 2379
    if let portText {
      guard let value = Int(portText), (1...65535).contains(value) else {
        throw .invalidEndpoint(text, reason: "port must be a number from 1 to 65535")
      }
      port = value
    }
    self.init(scheme: scheme, host: String(host), port: port)
  }

  /// Whether `host` is an IP address literal (IPv4 dotted quad or IPv6).
  public var hostIsIPAddress: Bool {
    host.contains(":") || (host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
  }

  public var description: String {
    let bracketed = host.contains(":") ? "[\(host)]" : host
    return "\(scheme.rawValue)://\(bracketed):\(port)"
  }
}
