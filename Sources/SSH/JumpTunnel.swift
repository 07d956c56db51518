import CLibSSH2
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A ProxyJump tunnel: a direct-tcpip channel on the jump host's session, bridged to one end of a socketpair by a
/// pump thread. The target's libssh2 session uses the other end as its socket (libssh2 needs a file descriptor).
///
/// After `open` returns, the pump thread is the only user of the jump session, as libssh2 requires.
final class JumpTunnel: @unchecked Sendable {
  /// The socketpair end the target's session reads and writes. The target's core closes it.
  let sessionFD: Int32
  private let pumpFD: Int32
  private let jump: SessionCore
  private let channel: OpaquePointer
  private let stopRequested = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)

  private init(jump: SessionCore, channel: OpaquePointer, pumpFD: Int32, sessionFD: Int32) {
    self.jump = jump
    self.channel = channel
    self.pumpFD = pumpFD
    self.sessionFD = sessionFD
  }

  /// Connects to `jumpTarget` (itself possibly through its own jump host), opens a channel to `target`'s host and
  /// port, and starts pumping.
  static func open(via jumpTarget: SSHTarget, to target: SSHTarget, cancel: CancelFlag?) throws -> JumpTunnel {
    let jump = try SessionCore(target: jumpTarget)
    jump.cancel = cancel
    do {
      try jump.connect()
    } catch let error as SSHError {
      jump.shutdown()
      throw error
    }
    let limit = StepLimit(target.connectTimeout, operation: "connect") {
      .connectTimedOut(host: target.host, port: target.port, seconds: target.connectTimeout.seconds)
    }
    let channel = try jump.retryPointer(limit) {
      libssh2_channel_direct_tcpip_ex(jump.session, target.host, Int32(target.port), "127.0.0.1", 0)
    }
    guard let channel else {
      let reason = jump.lastError().message
      jump.shutdown()
      throw SSHError.jumpHostFailed(
        jumpHost: jumpTarget.description, target: "\(target.host):\(target.port)", reason: reason)
    }
    var fds: [Int32] = [-1, -1]
    #if canImport(Glibc)
      let pairType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    #else
      let pairType = SOCK_STREAM
    #endif
    guard socketpair(AF_UNIX, pairType, 0, &fds) == 0 else {
      let reason = String(cString: strerror(errno))
      jump.abandon(channel)
      jump.shutdown()
      throw SSHError.jumpHostFailed(
        jumpHost: jumpTarget.description, target: "\(target.host):\(target.port)", reason: "socketpair: \(reason)")
    }
    for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    jump.cancel = nil
    let tunnel = JumpTunnel(jump: jump, channel: channel, pumpFD: fds[0], sessionFD: fds[1])
    let thread = Thread { tunnel.pump() }
    thread.name = "swetcd.ssh.jump.\(jumpTarget.host)"
    thread.start()
    return tunnel
  }

  /// Asks the pump to finish and waits (bounded) until it has closed the channel and the jump session.
  func stop() {
    stopRequested.store(true, ordering: .relaxed)
    _ = finished.wait(timeout: .now() + 5)
  }

  /// Copies bytes both ways until either side ends or `stop` is called.
  private func pump() {
    defer {
      jump.abandon(channel)
      jump.shutdown()
      close(pumpFD)
      finished.signal()
    }
    var toChannel = Data(), toChannelOffset = 0
    var toLocal = Data(), toLocalOffset = 0
    var localEOF = false, eofSent = false
    var buffer = [UInt8](repeating: 0, count: 32 * 1024)

    while !stopRequested.load(ordering: .relaxed) {
      var progressed = false

      // Local (target session) -> channel.
      if toChannelOffset == toChannel.count && !localEOF {
        let count = buffer.withUnsafeMutableBytes { recv(pumpFD, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count > 0 {
          toChannel = Data(buffer[0..<count])
          toChannelOffset = 0
          progressed = true
        } else if count == 0 {
          localEOF = true
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
          return
        }
      }
      if toChannelOffset < toChannel.count {
        let offset = toChannelOffset
        let written = toChannel.withUnsafeBytes { bytes in
          libssh2_channel_write_ex(
            channel, 0, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), bytes.count - offset)
        }
        if written > 0 {
          toChannelOffset += written
          progressed = true
        } else if written != Int(LIBSSH2_ERROR_EAGAIN) {
          return
        }
      }
      if localEOF && toChannelOffset == toChannel.count {
        if !eofSent && libssh2_channel_send_eof(channel) != LIBSSH2_ERROR_EAGAIN { eofSent = true }
        if eofSent { return }
      }

      // Channel -> local.
      if toLocalOffset == toLocal.count {
        let count = buffer.withUnsafeMutableBytes { bytes in
          libssh2_channel_read_ex(channel, 0, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if count > 0 {
          toLocal = Data(buffer[0..<count])
          toLocalOffset = 0
          progressed = true
        } else if count == 0 {
          if libssh2_channel_eof(channel) != 0 { return }  // the target closed the connection
        } else if count != Int(LIBSSH2_ERROR_EAGAIN) {
          return
        }
      }
      if toLocalOffset < toLocal.count {
        let offset = toLocalOffset
        let sent = toLocal.withUnsafeBytes { bytes in
          send(pumpFD, bytes.baseAddress!.advanced(by: offset), bytes.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        }
        if sent > 0 {
          toLocalOffset += sent
          progressed = true
        } else if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
          return
        }
      }

      if !progressed && libssh2_poll_channel_read(channel, 0) == 0 {
        waitForEither(wantLocalRead: toChannelOffset == toChannel.count && !localEOF, wantLocalWrite: toLocalOffset < toLocal.count)
      }
    }
  }

  /// Sleeps until the jump socket or the local end is ready, at most 50 ms (libssh2 may hold buffered data).
  private func waitForEither(wantLocalRead: Bool, wantLocalWrite: Bool) {
    let directions = libssh2_session_block_directions(jump.session)
    var jumpEvents = Int16(POLLIN)
    if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { jumpEvents |= Int16(POLLOUT) }
    var localEvents: Int16 = 0
    if wantLocalRead { localEvents |= Int16(POLLIN) }
    if wantLocalWrite { localEvents |= Int16(POLLOUT) }
    var fds = [
      pollfd(fd: jump.socket, events: jumpEvents, revents: 0),
      pollfd(fd: pumpFD, events: localEvents, revents: 0),
    ]
    _ = poll(&fds, nfds_t(fds.count), 50)
  }
}
