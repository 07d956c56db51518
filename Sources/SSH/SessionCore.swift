import CLibSSH2
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A flag set by a task's cancellation handler and polled by the session thread.
final class CancelFlag: Sendable {
  private let flag = Atomic<Bool>(false)
  func cancel() { flag.store(true, ordering: .relaxed) }
  var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// The time limit of one blocking step and the error that its expiry means.
struct StepLimit {
  let deadline: ContinuousClock.Instant
  let operation: String
  let onTimeout: @Sendable () -> SSHError

  init(_ duration: Duration, operation: String, onTimeout: @escaping @Sendable () -> SSHError) {
    deadline = ContinuousClock.now + duration
    self.operation = operation
    self.onTimeout = onTimeout
  }
}

/// Context handed to libssh2's keyboard-interactive callback through the session's abstract pointer.
final class KeyboardInteractiveContext {
  var password: String?
}

/// One libssh2 session over one socket, in non-blocking mode, with deadline-aware waiting.
///
/// Not thread-safe, like libssh2 itself: exactly one thread uses a core at a time (an `SSHClient`'s serial
/// queue, or a jump tunnel's pump thread after it took the core over).
final class SessionCore {
  let target: SSHTarget
  let session: OpaquePointer
  private(set) var socket: Int32 = -1
  var tunnel: JumpTunnel?
  var sftpHandle: OpaquePointer?
  /// The cancellation flag of the operation running now, if any.
  var cancel: CancelFlag?
  let keyboardInteractive = KeyboardInteractiveContext()
  private(set) var handshakeDone = false
  private var isShutDown = false
  /// Set when authentication succeeded: which method and key.
  var authMethod = ""
  /// `SHA256:...` fingerprint of the verified host key.
  var hostKeyFingerprint = ""

  init(target: SSHTarget) throws {
    try LibSSH2.ensureInitialized()
    self.target = target.expandingTildes()
    let abstract = Unmanaged.passUnretained(keyboardInteractive).toOpaque()
    guard let raw = libssh2_session_init_ex(nil, nil, nil, abstract) else { throw SSHError.sessionAllocationFailed }
    session = raw
    libssh2_session_set_blocking(session, 0)
    libssh2_session_set_timeout(session, Int(target.connectTimeout.milliseconds))
  }

  deinit { shutdown() }

  var host: String { target.host }

  // MARK: Connecting

  /// TCP (directly or through the jump host), handshake, host-key verification, authentication.
  func connect() throws {
    try target.validate()
    if let jump = target.jumpHost {
      let tunnel = try JumpTunnel.open(via: jump, to: target, cancel: cancel)
      self.tunnel = tunnel
      socket = tunnel.sessionFD
    } else {
      socket = try TCPConnector.connect(
        host: target.host, port: target.port, timeout: target.connectTimeout, cancel: cancel)
    }

    let known = KnownHostsFile.load(path: target.knownHostsPath)
    preferHostKeyTypes(known.keyTypes(for: target.knownHostsName))

    let limit = connectLimit("handshake")
    let rc = try retry(limit) { libssh2_session_handshake(session, libssh2_socket_t(socket)) }
    guard rc == 0 else {
      throw SSHError.handshakeFailed(host: target.host, port: target.port, reason: lastError().message)
    }
    handshakeDone = true
    try verifyHostKey(knownHosts: known)
    try authenticate()
  }

  /// A step limit for connecting, whose expiry is a handshake failure naming the step.
  func connectLimit(_ step: String) -> StepLimit {
    let host = target.host, port = target.port, seconds = target.connectTimeout.seconds
    return StepLimit(target.connectTimeout, operation: "connect") {
      .handshakeFailed(host: host, port: port, reason: "no answer during \(step) within \(SSHError.format(seconds)) s")
    }
  }

  /// Puts the host key types known_hosts lists for this host first, so libssh2 negotiates a key we can check.
  private func preferHostKeyTypes(_ knownTypes: [String]) {
    var order: [String] = []
    for type in knownTypes {
      order += type == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]
    }
    order += [
      "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
      "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa",
    ]
    var seen = Set<String>()
    let list = order.filter { seen.insert($0).inserted }.joined(separator: ",")
    _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, list)
  }

  // MARK: Waiting

  /// Waits until the socket is ready in the direction libssh2 is blocked on, at most until the limit.
  func waitSocket(_ limit: StepLimit) throws {
    if cancel?.isCancelled == true { throw SSHError.cancelled(host: target.host, operation: limit.operation) }
    let remaining = limit.deadline - ContinuousClock.now
    if remaining <= .zero { throw limit.onTimeout() }
    let directions = libssh2_session_block_directions(session)
    var events: Int16 = 0
    if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
    if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
    if events == 0 { events = Int16(POLLIN) }
    var pfd = pollfd(fd: socket, events: events, revents: 0)
    _ = poll(&pfd, 1, Int32(min(remaining.milliseconds, 100)))
  }

  /// Calls `body` until it stops returning EAGAIN, waiting on the socket in between.
  @discardableResult
  func retry(_ limit: StepLimit, _ body: () -> Int32) throws -> Int32 {
    while true {
      let rc = body()
      if rc != LIBSSH2_ERROR_EAGAIN { return rc }
      try waitSocket(limit)
    }
  }

  /// Like `retry` for libssh2 calls that return a pointer, or nil with the error in the session.
  func retryPointer<T>(_ limit: StepLimit, _ body: () -> T?) throws -> T? {
    while true {
      if let value = body() { return value }
      if libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN { return nil }
      try waitSocket(limit)
    }
  }

  /// The session's last error code and message.
  func lastError() -> (code: Int32, message: String) {
    var message: UnsafeMutablePointer<CChar>?
    var length: Int32 = 0
    let code = libssh2_session_last_error(session, &message, &length, 0)
    let text = message.map { String(cString: $0) } ?? ""
    return (code, text.isEmpty ? "libssh2 error \(code)" : text)
  }

  /// Whether a libssh2 error code means the transport is gone.
  static func isConnectionError(_ code: Int32) -> Bool {
    [
      LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
      LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_BAD_SOCKET, LIBSSH2_ERROR_SOCKET_NONE,
      LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_INVALID_MAC, LIBSSH2_ERROR_TIMEOUT,
    ].contains(code)
  }

  /// Throws `connectionLost` when the last error says the transport is gone.
  func throwIfConnectionLost(_ code: Int32) throws {
    if Self.isConnectionError(code) {
      throw SSHError.connectionLost(host: target.host, reason: lastError().message)
    }
  }

  // MARK: Closing

  /// Disconnects politely (bounded to 2 s), frees libssh2 state, closes the socket and stops a jump tunnel.
  func shutdown() {
    guard !isShutDown else { return }
    isShutDown = true
    libssh2_session_set_blocking(session, 1)
    libssh2_session_set_timeout(session, 2000)
    if let sftp = sftpHandle {
      _ = libssh2_sftp_shutdown(sftp)
      sftpHandle = nil
    }
    if handshakeDone {
      _ = libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "closing", "")
    }
    _ = libssh2_session_free(session)
    if socket >= 0 {
      close(socket)
      socket = -1
    }
    tunnel?.stop()
    tunnel = nil
  }
}
