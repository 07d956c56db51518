import Foundation

/// How one command is sent to the server, and the markers that separate our bookkeeping from its output.
///
/// Every command first writes a unique ready line with its shell's PID to stderr (`SWETCD_READY_<token> <pid>`), so a
/// timed-out command's process group can be killed over a second channel (OpenSSH refuses the "signal" channel
/// request for root sessions). With sudo, `sudo -S -p <prompt> -- sh -c '<ready>; command'`: sudo writes our unique
/// prompt to stderr when (and only when) it wants the password, and the ready line shows that sudo let the command
/// run. The password is sent only after the prompt was seen and the caller's stdin only after the ready line, so
/// neither can end up in the wrong place (sudo with cached credentials or NOPASSWD never reads a password line).
struct CommandPlan {
  /// What to execute on the server.
  let commandLine: String
  /// The password to answer the prompt with (sudo password mode only).
  let password: String?
  /// The prompt sudo prints when it wants the password (sudo password mode only).
  let prompt: Data?
  /// The start of the line (without PID and newline) the command's shell prints before running the command.
  let ready: Data
  /// Whether stdin must wait for the ready line (true under sudo, which reads stdin itself).
  let holdsStdinUntilReady: Bool
  /// The sudo mode the command runs under (for the kill command after a timeout).
  let mode: SudoMode

  /// A plan for `command` under `mode`.
  static func make(_ command: String, mode: SudoMode) -> CommandPlan {
    let token = randomToken()
    let readyMarker = "SWETCD_READY_\(token)"
    let announce = "echo \"\(readyMarker) $$\" >&2"
    let script = "\(announce)\n\(command)"
    switch mode {
    case .none:
      return CommandPlan(
        commandLine: script, password: nil, prompt: nil, ready: Data(readyMarker.utf8), holdsStdinUntilReady: false,
        mode: mode)
    case .passwordless:
      return CommandPlan(
        commandLine: "sudo -n -- sh -c \(shellQuote(script))", password: nil, prompt: nil,
        ready: Data(readyMarker.utf8), holdsStdinUntilReady: true, mode: mode)
    case .password(let password):
      let prompt = "SWETCD_SUDO_PROMPT_\(token):"
      return CommandPlan(
        commandLine: "sudo -S -p \(shellQuote(prompt)) -- sh -c \(shellQuote(script))", password: password,
        prompt: Data(prompt.utf8), ready: Data(readyMarker.utf8), holdsStdinUntilReady: true, mode: mode)
    }
  }

  /// The command that terminates the process group of the command whose shell has `pid` (Linux /proc), falling
  /// back to the shell alone.
  static func killCommand(pid: Int) -> String {
    "pgid=$(cut -d' ' -f5 /proc/\(pid)/stat 2>/dev/null); "
      + "if [ -n \"$pgid\" ] && [ \"$pgid\" -gt 1 ]; then kill -TERM -- -\"$pgid\"; else kill -TERM \(pid); fi 2>/dev/null; true"
  }

  /// 16 random hex digits.
  static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return String(format: "%016llx", generator.next() as UInt64)
  }
}

/// Quotes `text` for a POSIX shell: single quotes, with each `'` written as `'\''`.
func shellQuote(_ text: String) -> String {
  "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Watches stderr for sudo's prompt and the ready line; everything before the ready line is ours or sudo's, not
/// the command's.
struct StderrMarkerFilter {
  let plan: CommandPlan
  private(set) var isReady = false
  /// The PID the ready line announced.
  private(set) var commandPID: Int?
  private(set) var promptsSeen = 0
  /// Output before the ready line (sudo's messages, prompts removed), kept for error messages.
  private(set) var preamble = Data()
  private var pending = Data()
  private var promptSearchFrom = 0

  init(plan: CommandPlan) {
    self.plan = plan
  }

  enum Event: Equatable {
    /// sudo asked for the password (the first time).
    case passwordRequested
    /// sudo asked again: the password was wrong.
    case passwordRejected
  }

  /// Feeds stderr bytes; returns the bytes that belong to the command and the events seen.
  mutating func feed(_ bytes: Data) -> (output: Data, events: [Event]) {
    if isReady { return (bytes, []) }
    pending.append(bytes)
    var events: [Event] = []
    if let prompt = plan.prompt {
      while let found = pending.range(of: prompt, in: promptSearchFrom..<pending.endIndex) {
        promptsSeen += 1
        promptSearchFrom = found.upperBound
        events.append(promptsSeen == 1 ? .passwordRequested : .passwordRejected)
      }
    }
    guard let marker = pending.range(of: plan.ready),
      let lineEnd = pending.range(of: Data("\n".utf8), in: marker.upperBound..<pending.endIndex)
    else { return (Data(), events) }
    isReady = true
    let pidText = String(decoding: pending.subdata(in: marker.upperBound..<lineEnd.lowerBound), as: UTF8.self)
    commandPID = Int(pidText.trimmingCharacters(in: .whitespaces))
    preamble = Self.removing(plan.prompt, from: pending.subdata(in: pending.startIndex..<marker.lowerBound))
    let rest = pending.subdata(in: lineEnd.upperBound..<pending.endIndex)
    pending = Data()
    return (rest, events)
  }

  /// What stderr held before the ready line (prompts removed); all of it when the line never came.
  var unannouncedOutput: Data {
    isReady ? preamble : Self.removing(plan.prompt, from: pending)
  }

  /// `unannouncedOutput` as trimmed text: what sudo said when it failed.
  var sudoMessage: String {
    String(decoding: unannouncedOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  private static func removing(_ marker: Data?, from data: Data) -> Data {
    guard let marker, !marker.isEmpty else { return data }
    var result = Data()
    var cursor = data.startIndex
    while let found = data.range(of: marker, in: cursor..<data.endIndex) {
      result.append(data.subdata(in: cursor..<found.lowerBound))
      cursor = found.upperBound
    }
    result.append(data.subdata(in: cursor..<data.endIndex))
    return result
  }
}
