// One HTTP/1.1 request as the client-port handlers see it.
import NIOHTTP1

/// An HTTP/1.1 request with its whole body (bounded by the listener's body limit).
public struct HTTPRequest: Sendable {
  /// Upper-case method name: `GET`, `POST`, ...
  public var method: String
  /// The path without the query, as sent (`/v3/kv/range`).
  public var path: String
  /// The raw query string without `?` (empty when there is none).
  public var query: String
  public var headers: HTTPHeaders
  public var body: [UInt8]
  /// Common name of the verified client certificate (TLS with client-cert-auth), else nil. etcd uses it as the
  /// user name when auth is enabled and the request carries no token.
  public var peerCommonName: String?

  public init(
    method: String, path: String, query: String = "", headers: HTTPHeaders = [:], body: [UInt8] = [],
    peerCommonName: String? = nil
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.headers = headers
    self.body = body
    self.peerCommonName = peerCommonName
  }

  /// Splits a request target (`/path?query`) into path and query.
  static func split(target: String) -> (path: String, query: String) {
    guard let mark = target.firstIndex(of: "?") else { return (target, "") }
    return (String(target[..<mark]), String(target[target.index(after: mark)...]))
  }
}
