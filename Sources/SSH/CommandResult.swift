import Foundation

/// What a remote command produced.
public struct CommandResult: Sendable, Equatable {
  /// The command as given to `run` (before any sudo wrapping).
  public var command: String
  /// Everything the command wrote to standard output.
  public var stdout: Data
  /// Everything the command wrote to standard error (sudo's own prompts are removed).
  public var stderr: Data
  /// The exit status; -1 when the command was killed by a signal.
  public var exitStatus: Int32
  /// The signal that killed the command, without the `SIG` prefix (`TERM`, `KILL`), or nil.
  public var exitSignal: String?

  public init(command: String, stdout: Data, stderr: Data, exitStatus: Int32, exitSignal: String?) {
    self.command = command
    self.stdout = stdout
    self.stderr = stderr
    self.exitStatus = exitStatus
    self.exitSignal = exitSignal
  }

  /// Exit status 0 and no signal.
  public var succeeded: Bool { exitStatus == 0 && exitSignal == nil }

  /// Standard output decoded as UTF-8 (invalid bytes replaced).
  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

  /// Standard error decoded as UTF-8 (invalid bytes replaced).
  public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
