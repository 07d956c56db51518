import CLibSSH2
import Foundation

/// Running one command on an exec channel: stdin, stdout and stderr interleaved without blocking, a deadline,
/// and sudo's password dialogue.
extension SessionCore {
  /// Runs `command` (wrapped for sudo when `useSudo` and the target has a sudo mode) and collects its output.
  func exec(_ command: String, stdin: Data?, timeout: Duration, useSudo: Bool) throws -> CommandResult {
    let plan = CommandPlan.make(command, mode: useSudo ? target.sudo : .none)
    let host = target.host
    let limit = StepLimit(timeout, operation: "command") {
      .commandTimedOut(host: host, command: command, seconds: timeout.seconds)
    }
    let channel = try openSessionChannel(limit)
    var finished = false
    defer { if !finished { abandon(channel) } }

    let line = plan.commandLine
    let started = try retry(limit) {
      libssh2_channel_process_startup(channel, "exec", 4, line, UInt32(line.utf8.count))
    }
    guard started == 0 else {
      try throwIfConnectionLost(started)
      throw SSHError.channelFailed(host: host, reason: "the server refused to start the command: \(lastError().message)")
    }

    var io = ChannelIO(plan: plan, stdin: stdin)
    do {
      try pump(channel, io: &io, limit: limit)
    } catch let error as SSHError {
      switch error {
      case .commandTimedOut, .cancelled:
        if io.filter.commandPID == nil {
          // The command may be just starting: give its ready line (with the PID to kill) a moment to arrive.
          let saved = cancel
          cancel = nil
          let grace = StepLimit(.seconds(2), operation: "stopping a command") { .channelFailed(host: "", reason: "") }
          _ = try? pump(channel, io: &io, limit: grace, untilReady: true)
          cancel = saved
        }
        if let pid = io.filter.commandPID { killRemoteCommand(pid: pid, mode: plan.mode) }
      default:
        break
      }
      throw error
    }
    finished = true
    let (status, signal) = closeAndCollectExit(channel)
    if !io.filter.isReady {
      if plan.mode != .none { throw sudoFailure(io.filter, exitStatus: status) }
      io.stderr = io.filter.unannouncedOutput + io.stderr
    }
    return CommandResult(command: command, stdout: io.stdout, stderr: io.stderr, exitStatus: status, exitSignal: signal)
  }

  /// Opens a "session" channel.
  func openSessionChannel(_ limit: StepLimit) throws -> OpaquePointer {
    let channel = try retryPointer(limit) {
      libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
    }
    guard let channel else {
      let error = lastError()
      try throwIfConnectionLost(error.code)
      throw SSHError.channelFailed(host: target.host, reason: error.message)
    }
    return channel
  }

  /// The state of one exec channel's three streams.
  private struct ChannelIO {
    var filter: StderrMarkerFilter
    let userStdin: Data
    var outgoing = Data()
    var outgoingOffset = 0
    var userStdinQueued = false
    var eofSent = false
    var stdout = Data()
    var stderr = Data()

    init(plan: CommandPlan, stdin: Data?) {
      filter = StderrMarkerFilter(plan: plan)
      userStdin = stdin ?? Data()
    }

    /// Queues the caller's stdin once the command (not sudo) is reading.
    mutating func queueUserStdinIfReady() {
      guard filter.isReady || !filter.plan.holdsStdinUntilReady, !userStdinQueued, outgoingOffset == outgoing.count
      else { return }
      outgoing = userStdin
      outgoingOffset = 0
      userStdinQueued = true
    }
  }

  /// Moves data until the remote side sent EOF and everything was read, or the limit expires.
  private func pump(_ channel: OpaquePointer, io: inout ChannelIO, limit: StepLimit, untilReady: Bool = false) throws {
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      if untilReady && io.filter.isReady { return }
      var progressed = false
      io.queueUserStdinIfReady()

      if io.outgoingOffset < io.outgoing.count {
        let offset = io.outgoingOffset
        let written = io.outgoing.withUnsafeBytes { bytes in
          libssh2_channel_write_ex(
            channel, 0, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self),
            bytes.count - offset)
        }
        if written > 0 {
          io.outgoingOffset += written
          progressed = true
        } else if written != Int(LIBSSH2_ERROR_EAGAIN) {
          try throwIfConnectionLost(Int32(truncatingIfNeeded: written))
          // The command closed its stdin (or exited) without reading everything: drop the rest.
          io.outgoing = Data()
          io.outgoingOffset = 0
          io.eofSent = true
        }
      }
      if io.userStdinQueued && io.outgoingOffset == io.outgoing.count && !io.eofSent {
        let rc = libssh2_channel_send_eof(channel)
        if rc != LIBSSH2_ERROR_EAGAIN { io.eofSent = true }
      }

      progressed = try drain(channel, &buffer, &io) || progressed
      if libssh2_channel_eof(channel) != 0 {
        // Reading one stream can buffer the other's last packets: drain both once more.
        _ = try drain(channel, &buffer, &io)
        return
      }
      if !progressed && libssh2_poll_channel_read(channel, 0) == 0 && libssh2_poll_channel_read(channel, 1) == 0 {
        try waitSocket(limit)
      }
    }
  }

  /// Reads whatever stdout and stderr have now; answers sudo's prompt. Returns whether anything was read.
  private func drain(_ channel: OpaquePointer, _ buffer: inout [UInt8], _ io: inout ChannelIO) throws -> Bool {
    var progressed = false
    for stream: Int32 in [0, SSH_EXTENDED_DATA_STDERR] {
      while true {
        let count = buffer.withUnsafeMutableBytes { bytes in
          libssh2_channel_read_ex(channel, stream, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if count == Int(LIBSSH2_ERROR_EAGAIN) || count == 0 { break }
        if count < 0 {
          try throwIfConnectionLost(Int32(truncatingIfNeeded: count))
          throw SSHError.channelFailed(host: target.host, reason: "reading output failed: \(lastError().message)")
        }
        progressed = true
        let chunk = Data(buffer[0..<count])
        if stream == 0 {
          io.stdout.append(chunk)
          continue
        }
        let (output, events) = io.filter.feed(chunk)
        io.stderr.append(output)
        for event in events {
          switch event {
          case .passwordRequested:
            if let password = io.filter.plan.password {
              io.outgoing = Data((password + "\n").utf8)
              io.outgoingOffset = 0
            }
          case .passwordRejected:
            throw SSHError.sudoPasswordRejected(host: target.host, user: target.user)
          }
        }
      }
    }
    return progressed
  }

  /// The error for a sudo that never started the command.
  private func sudoFailure(_ filter: StderrMarkerFilter, exitStatus: Int32) -> SSHError {
    let message = filter.sudoMessage
    if message.contains("a password is required") {
      return .sudoPasswordRequired(host: target.host, user: target.user)
    }
    if filter.promptsSeen > 1 || message.contains("incorrect password") {
      return .sudoPasswordRejected(host: target.host, user: target.user)
    }
    if exitStatus == 127 || message.contains("sudo: not found") || message.contains("command not found") {
      return .sudoFailed(host: target.host, user: target.user, reason: "sudo is not installed (\(message))")
    }
    return .sudoFailed(
      host: target.host, user: target.user, reason: message.isEmpty ? "sudo exited with status \(exitStatus)" : message)
  }

  /// Closes the channel after EOF, waits for the server's close, and reads the exit status and signal.
  private func closeAndCollectExit(_ channel: OpaquePointer) -> (Int32, String?) {
    let saved = cancel
    cancel = nil
    defer { cancel = saved }
    let limit = StepLimit(.seconds(10), operation: "closing a channel") { .channelFailed(host: "", reason: "") }
    _ = try? retry(limit) { libssh2_channel_close(channel) }
    _ = try? retry(limit) { libssh2_channel_wait_closed(channel) }
    var status = libssh2_channel_get_exit_status(channel)
    var signalName: UnsafeMutablePointer<CChar>?
    var signalLength = 0
    _ = libssh2_channel_get_exit_signal(channel, &signalName, &signalLength, nil, nil, nil, nil)
    var signal: String?
    if let signalName {
      signal = signalLength > 0 ? String(cString: signalName) : nil
      libssh2_free(session, signalName)
    }
    if signal != nil { status = -1 }
    _ = try? retry(limit) { libssh2_channel_free(channel) }
    return (status, signal)
  }

  /// Terminates a timed-out or cancelled command's process group over a second channel, with the same sudo mode.
  /// (OpenSSH refuses the "signal" channel request for root sessions, so we cannot ask sshd to do it.)
  private func killRemoteCommand(pid: Int, mode: SudoMode) {
    let saved = cancel
    cancel = nil
    defer { cancel = saved }
    let plan = CommandPlan.make(CommandPlan.killCommand(pid: pid), mode: mode)
    let limit = StepLimit(.seconds(5), operation: "stopping a command") { .channelFailed(host: "", reason: "") }
    guard let channel = try? openSessionChannel(limit) else { return }
    defer { abandon(channel) }
    let line = plan.commandLine
    guard (try? retry(limit, { libssh2_channel_process_startup(channel, "exec", 4, line, UInt32(line.utf8.count)) })) == 0
    else { return }
    var io = ChannelIO(plan: plan, stdin: nil)
    _ = try? pump(channel, io: &io, limit: limit)
  }

  /// Best-effort close and free of a channel after an error.
  func abandon(_ channel: OpaquePointer) {
    let saved = cancel
    cancel = nil
    defer { cancel = saved }
    let limit = StepLimit(.seconds(2), operation: "closing a channel") { .channelFailed(host: "", reason: "") }
    _ = try? retry(limit) { libssh2_channel_close(channel) }
    _ = try? retry(limit) { libssh2_channel_free(channel) }
  }
}
