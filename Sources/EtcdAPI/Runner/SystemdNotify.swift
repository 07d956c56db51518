// sd_notify(READY=1) for systemd units of Type=notify: one datagram to $NOTIFY_SOCKET, nothing when it is unset.

#if canImport(Glibc)
  import Glibc
#endif

enum SystemdNotify {
  /// Sends `state` (e.g. "READY=1") to the socket named by NOTIFY_SOCKET; returns false when unset or unreachable.
  @discardableResult
  static func send(_ state: String, socketPath: String? = getenv("NOTIFY_SOCKET").map { String(cString: $0) }) -> Bool {
    guard var path = socketPath, !path.isEmpty else { return false }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    // A leading '@' names an abstract socket (a NUL byte on the wire).
    let abstract = path.hasPrefix("@")
    if abstract { path.removeFirst() }
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count + (abstract ? 1 : 0) < capacity else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      let offset = abstract ? 1 : 0
      for (i, byte) in bytes.enumerated() { raw[offset + i] = byte }
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
    let message = Array(state.utf8)
    let sent = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
        sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
      }
    }
    return sent == message.count
  }
}
