import Foundation

/// What a command printed and how it ended.
public struct CommandOutput: Sendable, Hashable {
  public var stdout: String
  public var stderr: String
  public var status: Int32

  public init(stdout: String, stderr: String, status: Int32) {
    self.stdout = stdout
    self.stderr = stderr
    self.status = status
  }
}

/// A way to act on one host: over SSH, or this machine itself. Every phase goes through it, so a phase is the
/// same code for a remote host and for the local demo cluster.
public protocol HostConnection: Sendable {
  /// The inventory name of the host.
  var hostName: String { get }

  /// Runs a shell command (`sh -c`) and returns its output whatever its exit status.
  func run(_ command: String, stdin: Data?, timeout: Duration) async throws(OpsError) -> CommandOutput

  /// The file's bytes, or nil when it does not exist.
  func readFile(_ path: String) async throws(OpsError) -> Data?

  /// Writes `data` to `path` atomically (temp file, fsync, rename) with `mode` and, if given, `owner` ("user:group").
  func writeFile(_ data: Data, to path: String, mode: Int, owner: String?) async throws(OpsError)

  /// Copies a local file to `path` atomically, verifying its SHA-256 on the host before the rename.
  func pushFile(localPath: String, to path: String, mode: Int, owner: String?,
                progress: (@Sendable (_ sent: Int, _ total: Int) -> Void)?) async throws(OpsError)

  /// Lower-case hex SHA-256 of the file, or nil when it does not exist.
  func sha256(of path: String) async throws(OpsError) -> String?

  func close() async
}

extension HostConnection {
  /// Runs a command that must succeed; a non-zero exit becomes `OpsError.commandFailed` with its stderr.
  @discardableResult
  public func check(_ command: String, stdin: Data? = nil, timeout: Duration = .seconds(60)) async throws(OpsError) -> String {
    let output = try await run(command, stdin: stdin, timeout: timeout)
    guard output.status == 0 else {
      throw .commandFailed(host: hostName, command: command, status: output.status, stderr: output.stderr)
    }
    return output.stdout
  }
}

/// Quotes a string for a POSIX shell.
public func shellQuote(_ text: String) -> String {
  "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
