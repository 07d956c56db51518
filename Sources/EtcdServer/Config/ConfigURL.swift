#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listen or advertise URL as etcd accepts it: `scheme://host:port`, no path; scheme http, https, unix or unixs.
public struct ConfigURL: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// "http", "https", "unix" or "unixs" (lower case).
  public var scheme: String
  /// Host name or IP address, without brackets for IPv6.
  public var host: String
  /// TCP port.
  public var port: Int

  public init(scheme: String, host: String, port: Int) {
    self.scheme = scheme
    self.host = host
    self.port = port
  }

  /// Whether the scheme asks for TLS (https or unixs).
  public var isSecure: Bool { scheme == "https" || scheme == "unixs" }

  /// Whether the host is an IP address literal (IPv4 or IPv6).
  public var hostIsIPAddress: Bool { Self.isIPAddress(host) }

  /// `host:port`, with brackets around an IPv6 host.
  public var hostPort: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

  /// The URL as etcd prints it: `http://127.0.0.1:2379`.
  public var description: String { "\(scheme)://\(hostPort)" }

  public static func < (lhs: ConfigURL, rhs: ConfigURL) -> Bool { lhs.description < rhs.description }

  /// Parses one URL with the checks of etcd's `types.NewURLs`; the error text is etcd's.
  public static func parse(_ raw: String) throws(ConfigurationError) -> ConfigURL {
    do throws(GoValueParsing.Rejection) {
      return try parseChecked(raw)
    } catch {
      throw .invalidFlags(error.reason)
    }
  }

  /// Parses a comma-separated list as etcd's `types.NewURLs` does: spaces trimmed, every URL checked, the result
  /// sorted by its text.
  static func parseList(_ raw: String) throws(GoValueParsing.Rejection) -> [ConfigURL] {
    var urls: [ConfigURL] = []
    for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
      urls.append(try parseChecked(String(part)))
    }
    return urls.sorted()
  }

  static func parseChecked(_ untrimmed: String) throws(GoValueParsing.Rejection) -> ConfigURL {
    let raw = untrimmed.trimmingGoSpace()
    func fail(_ why: String) -> GoValueParsing.Rejection { .init(reason: "parse \(goQuote(raw)): \(why)") }
    // Go's url.Parse: an optional scheme, then //authority, then the path.
    var scheme = ""
    var rest = Substring(raw)
    if let colon = raw.firstIndex(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0))) }),
       raw[colon] == ":" {
      if colon == raw.startIndex { throw fail("missing protocol scheme") }
      if raw.first?.isLetter == true {
        scheme = raw[..<colon].lowercased()
        rest = raw[raw.index(after: colon)...]
      }
    }
    if let cut = rest.firstIndex(where: { $0 == "#" }) { rest = rest[..<cut] }
    if let cut = rest.firstIndex(where: { $0 == "?" }) { rest = rest[..<cut] }
    var authority: Substring = ""
    var path: Substring = ""
    if scheme.isEmpty {
      if !rest.hasPrefix("/"), let slash = Optional(rest.firstIndex(of: "/") ?? rest.endIndex),
         rest[..<slash].contains(":") {
        throw fail("first path segment in URL cannot contain colon")
      }
      path = rest
    } else if rest.hasPrefix("//") {
      let afterSlashes = rest.dropFirst(2)
      let end = afterSlashes.firstIndex(of: "/") ?? afterSlashes.endIndex
      authority = afterSlashes[..<end]
      path = afterSlashes[end...]
    }
    if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
    // Port syntax inside the authority, checked by url.Parse before etcd's own checks.
    if authority.hasPrefix("[") {
      guard let close = authority.firstIndex(of: "]") else { throw fail("missing ']' in host") }
      let colonPort = authority[authority.index(after: close)...]
      if !colonPort.isEmpty && !isOptionalPort(colonPort) {
        throw fail("invalid port \(goQuote(String(colonPort))) after host")
      }
    } else if let colon = authority.lastIndex(of: ":") {
      let colonPort = authority[colon...]
      if !isOptionalPort(colonPort) { throw fail("invalid port \(goQuote(String(colonPort))) after host") }
    }
    guard ["http", "https", "unix", "unixs"].contains(scheme) else {
      throw .init(reason: "URL scheme must be http, https, unix, or unixs: \(raw)")
    }
    guard let (host, portText) = splitHostPort(authority), let port = Int(portText), port <= 65535 else {
      throw .init(reason: "URL address does not have the form \"host:port\": \(raw)")
    }
    if !path.isEmpty { throw .init(reason: "URL must not contain a path: \(raw)") }
    return ConfigURL(scheme: scheme, host: host, port: port)
  }

  private static func isOptionalPort(_ colonPort: Substring) -> Bool {
    guard colonPort.first == ":" else { return colonPort.isEmpty }
    return colonPort.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
  }

  /// Go's `net.SplitHostPort`, nil when it would fail.
  private static func splitHostPort(_ hostPort: Substring) -> (String, Substring)? {
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]") else { return nil }
      let after = hostPort[hostPort.index(after: close)...]
      guard after.first == ":" else { return nil }
      return (String(hostPort[hostPort.index(after: hostPort.startIndex)..<close]), after.dropFirst())
    }
    guard let colon = hostPort.lastIndex(of: ":") else { return nil }
    let host = hostPort[..<colon]
    if host.contains(":") || host.contains("[") || host.contains("]") { return nil }
    return (String(host), hostPort[hostPort.index(after: colon)...])
  }

  /// Whether `text` is an IPv4 or IPv6 address literal.
  static func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
  }
}

extension String {
  /// Trims the ASCII white space Go's `strings.TrimSpace` trims.
  func trimmingGoSpace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
    guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(self[first...last])
  }
}
