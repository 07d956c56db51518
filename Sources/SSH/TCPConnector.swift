import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Opens a TCP connection with a timeout: every resolved address is tried with a non-blocking connect.
enum TCPConnector {
  /// Returns a connected, non-blocking socket with TCP_NODELAY set.
  static func connect(host: String, port: Int, timeout: Duration, cancel: CancelFlag?) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
      hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
      hints.ai_socktype = SOCK_STREAM
    #endif
    hints.ai_flags = AI_NUMERICSERV
    var list: UnsafeMutablePointer<addrinfo>?
    let gai = getaddrinfo(host, String(port), &hints, &list)
    guard gai == 0, let first = list else {
      let reason = gai == 0 ? "no addresses" : String(cString: gai_strerror(gai))
      throw SSHError.connectFailed(host: host, port: port, reason: "cannot resolve host name: \(reason)")
    }
    defer { freeaddrinfo(list) }

    let deadline = ContinuousClock.now + timeout
    var lastReason = "no usable address"
    var timedOut = false
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    while let info = cursor {
      cursor = info.pointee.ai_next
      let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
      if fd < 0 {
        lastReason = String(cString: strerror(errno))
        continue
      }
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      var one: Int32 = 1
      _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

      if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
      guard errno == EINPROGRESS else {
        lastReason = String(cString: strerror(errno))
        close(fd)
        continue
      }
      switch waitConnected(fd, deadline: deadline, cancel: cancel) {
      case .connected:
        return fd
      case .failed(let reason):
        lastReason = reason
        close(fd)
      case .timedOut:
        timedOut = true
        close(fd)
      case .cancelled:
        close(fd)
        throw SSHError.cancelled(host: host, operation: "connect")
      }
    }
    if timedOut && ContinuousClock.now >= deadline {
      throw SSHError.connectTimedOut(host: host, port: port, seconds: timeout.seconds)
    }
    throw SSHError.connectFailed(host: host, port: port, reason: lastReason)
  }

  private enum Outcome {
    case connected, failed(String), timedOut, cancelled
  }

  private static func waitConnected(_ fd: Int32, deadline: ContinuousClock.Instant, cancel: CancelFlag?) -> Outcome {
    while true {
      if cancel?.isCancelled == true { return .cancelled }
      let remaining = deadline - ContinuousClock.now
      if remaining <= .zero { return .timedOut }
      var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
      let rc = poll(&pfd, 1, Int32(min(remaining.milliseconds, 100)))
      if rc < 0 && errno != EINTR { return .failed(String(cString: strerror(errno))) }
      if rc <= 0 { continue }
      var soError: Int32 = 0
      var len = socklen_t(MemoryLayout<Int32>.size)
      _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
      return soError == 0 ? .connected : .failed(String(cString: strerror(soError)))
    }
  }
}

extension Duration {
  /// The duration in whole milliseconds, rounded up, at least 0.
  var milliseconds: Int {
    let parts = components
    let ms = parts.seconds * 1000 + (parts.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return max(0, Int(ms))
  }
}
