import Foundation

/// A long-running child process whose stdout and stderr go to a log file; stopped by PID.
public final class LoggedProcess: @unchecked Sendable {
  public let process: Process
  public let logPath: String

  init(process: Process, logPath: String) {
    self.process = process
    self.logPath = logPath
  }

  deinit { stop() }

  public var pid: Int32 { process.processIdentifier }

  /// Everything the process has written so far.
  public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// Polls the log until it contains `text` (true) or the process exits or the deadline passes (false).
  public func waitForOutput(containing text: String, timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if output.contains(text) { return true }
      if !process.isRunning { return output.contains(text) }
      usleep(50_000)
    }
    return false
  }

  /// `stop(grace:)` on a thread of its own: an async test must use this while an in-process server is serving the
  /// process, whose exit may need that server (etcdctl lock and elect release on SIGTERM), or the wait holds a pool
  /// thread the server needs.
  public func stopped(grace: Double = 10) async {
    _ = try? await offPool { self.stop(grace: grace) }
  }

  /// SIGTERM, then SIGKILL after `grace` seconds; waits for the exit. Idempotent.
  public func stop(grace: Double = 10) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(grace)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }
}

extension ChildProcess {
  /// Starts `executable` in the background with its output appended to `logPath`.
  public static func startLogged(
    _ executable: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil
  ) throws -> LoggedProcess {
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let process = try withSpawnRetries { () throws -> Process in
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      if let environment { process.environment = environment }
      let handle = FileHandle(forWritingAtPath: logPath)
      process.standardOutput = handle
      process.standardError = handle
      process.standardInput = FileHandle.nullDevice
      try process.run()
      return process
    }
    return LoggedProcess(process: process, logPath: logPath)
  }
}
