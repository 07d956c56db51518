import Foundation
import TestSupport

/// The real etcdctl 3.4 (Debian etcd-client) run as a user runs it, with `ETCDCTL_API=3`.
enum Etcdctl {
  static let path = ChildProcess.which("etcdctl")
  static var isInstalled: Bool { path != nil && ChildProcess.which("etcd") != nil }

  /// Runs `etcdctl arguments` with `input` on its standard input, off the concurrency pool; killed after `timeout`.
  static func run(_ arguments: [String], input: String? = nil, timeout: Double = 30) async throws -> EtcdctlOutput {
    guard let path else { throw RealEtcdError("etcdctl is not installed; run scripts/setup (Debian etcd-client)") }
    let environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
    return try await offPool {
      let out = try ChildProcess.run(path, arguments, environment: environment, timeout: timeout, input: input)
      return EtcdctlOutput(status: out.status, stdout: out.stdout, stderr: out.stderr)
    }
  }

  /// Starts a long-running etcdctl (`watch`, `elect -l`, `lock`) whose output goes to `logPath`; stop it by PID.
  /// `input` (for `watch -i`) is written to its standard input, which then stays open so it keeps running.
  static func start(_ arguments: [String], logPath: String, input: String? = nil) throws -> BackgroundEtcdctl {
    guard let path else { throw RealEtcdError("etcdctl is not installed; run scripts/setup (Debian etcd-client)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let stdout = FileHandle(forWritingAtPath: logPath)
    process.standardOutput = stdout
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    let inPipe = Pipe()
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    return BackgroundEtcdctl(process: process, logPath: logPath, stdin: inPipe)
  }
}

/// An etcdctl left running (a watch, a listener); its standard output goes to a file.
final class BackgroundEtcdctl: @unchecked Sendable {
  let process: Process
  let logPath: String
  private let stdin: Pipe

  init(process: Process, logPath: String, stdin: Pipe) {
    self.process = process
    self.logPath = logPath
    self.stdin = stdin
  }

  deinit { stop() }

  /// What it has printed so far.
  var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// Waits (sleeping on the clock, not a thread) until its output has `count` lines or `seconds` pass.
  func waitForLines(_ count: Int, within seconds: Double) async -> String {
    _ = await eventually(within: seconds, every: .milliseconds(50)) {
      output.split(separator: "\n", omittingEmptySubsequences: false).count > count || !process.isRunning
    }
    return output
  }

  /// Waits until its output contains `text` or `seconds` pass.
  func waitFor(_ text: String, within seconds: Double) async -> Bool {
    await eventually(within: seconds, every: .milliseconds(100)) { output.contains(text) }
  }

  /// SIGKILL by PID (etcdctl holds no state worth a graceful stop) and reap. Idempotent.
  func stop() {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// Sends SIGINT by PID, as a user's Ctrl-C (`lock` and `elect` release on it), and waits for the exit off the pool.
  func interrupt() async {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGINT)
    let process = self.process
    _ = try? await offPool { process.waitUntilExit() }
  }
}

/// What one etcdctl run printed, and its exit status.
struct EtcdctlOutput: Sendable, CustomStringConvertible {
  let status: Int32
  let stdout: String
  let stderr: String
  var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}
