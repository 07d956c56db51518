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
  /// The client's address, `ip:port`.
  public var remoteAddress: String

  public init(
    method: String, path: String, query: String = "", headers: HTTPHeaders = [:], body: [UInt8] = [],
    peerCommonName: String? = nil, remoteAddress: String = ""
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.headers = headers
    self.body = body
    self.peerCommonName = peerCommonName
    self.remoteAddress = remoteAddress
  }

  /// Splits a request target (`/path?query`) into path and query.
  static func split(target: String) -> (path: String, query: String) {
    guard let mark = target.firstIndex(of: "?") else { return (target, "") }
    return (String(target[..<mark]), String(target[target.index(after: mark)...]))
  }

  /// The first value of query parameter `name`, percent-decoded (`+` means space), or nil.
  public func queryValue(_ name: String) -> String? {
    for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      if Self.percentDecoded(parts[0]) == name { return parts.count > 1 ? Self.percentDecoded(parts[1]) : "" }
    }
    return nil
  }

  static func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
      switch byte {
      case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
      case UInt8(ascii: "%"):
        if let high = iterator.next(), let low = iterator.next(), let h = hexValue(high), let l = hexValue(low) {
          bytes.append(h << 4 | l)
        }
      default: bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
