// A parsed peer URL (--listen-peer-urls, --initial-advertise-peer-urls, member peer URLs).

/// `http://host:port` or `https://host:port` (IPv6 as `[::1]`).
struct PeerURL: Sendable, Hashable, CustomStringConvertible {
  var secure: Bool
  /// An IP address or host name, IPv6 without brackets.
  var host: String
  var port: Int

  init(secure: Bool, host: String, port: Int) {
    self.secure = secure
    self.host = host
    self.port = port
  }

  init(parsing text: String) throws(PeerTransportError) {
    let lower = text.lowercased()
    let rest: Substring
    if lower.hasPrefix("http://") {
      secure = false
      rest = text.dropFirst(7)
    } else if lower.hasPrefix("https://") {
      secure = true
      rest = text.dropFirst(8)
    } else {
      throw .invalidURL(text, reason: "the scheme must be http or https")
    }
    var hostPort = rest
    if let slash = hostPort.firstIndex(of: "/") {
      guard hostPort[slash...] == "/" else { throw .invalidURL(text, reason: "a peer URL has no path") }
      hostPort = hostPort[..<slash]
    }
    let hostPart: Substring, portPart: Substring
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]"), hostPort[hostPort.index(after: close)...].hasPrefix(":") else {
        throw .invalidURL(text, reason: "an IPv6 host needs the form [address]:port")
      }
      hostPart = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
      portPart = hostPort[hostPort.index(close, offsetBy: 2)...]
    } else {
      guard let colon = hostPort.lastIndex(of: ":") else { throw .invalidURL(text, reason: "the port is missing") }
      hostPart = hostPort[..<colon]
      portPart = hostPort[hostPort.index(after: colon)...]
    }
    guard !hostPart.isEmpty else { throw .invalidURL(text, reason: "the host is missing") }
    guard let port = Int(portPart), (0...65_535).contains(port) else {
      throw .invalidURL(text, reason: "the port must be a number from 0 to 65535")
    }
    host = String(hostPart)
    self.port = port
  }

  var isIPv6: Bool { host.contains(":") }
  var isIPv4: Bool { !host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." } }

  var description: String {
    "\(secure ? "https" : "http")://\(isIPv6 ? "[\(host)]" : host):\(port)"
  }
}
