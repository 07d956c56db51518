import Foundation
import TestSupport

/// A plain TCP connection for HTTP/1.1 exchanges byte by byte (keep-alive, chunked streams). Blocking: use it only
/// through `offPool`. Reads time out after 10 s so a broken server fails the test instead of hanging it.
final class RawHTTPConnection: @unchecked Sendable {
  private let fd: Int32
  private(set) var received: [UInt8] = []

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
      close(fd)
      throw RealEtcdError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
    }
  }

  deinit { close(fd) }

  func send(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  /// Reads until the received text contains `marker` (true) or the peer closes or 10 s pass (false).
  func read(until marker: String) -> Bool {
    while !text.contains(marker) {
      guard readMore() else { return text.contains(marker) }
    }
    return true
  }

  /// Reads until the peer closes the connection (or 10 s pass).
  func readToEnd() { while readMore() {} }

  var text: String { String(decoding: received, as: UTF8.self) }

  private func readMore() -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return false }
    received.append(contentsOf: buffer[0..<count])
    return true
  }

  /// One request with `Connection: close`, returning the whole response text.
  static func exchange(port: Int, _ request: String) async throws -> String {
    try await offPool {
      let connection = try RawHTTPConnection(port: port)
      connection.send(request)
      connection.readToEnd()
      return connection.text
    }
  }
}
