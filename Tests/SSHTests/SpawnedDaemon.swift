import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A long-running child (sshd, ssh-agent) started with posix_spawn and reaped with our own waitpid.
///
/// Not Foundation's `Process`: sshd and ssh-agent close every inherited descriptor at startup (closefrom), and
/// swift-corelibs-foundation takes the closing of its per-child socket as "the child exited" and calls a blocking
/// waitpid for it on its single monitor thread, which then hangs every other `Process.waitUntilExit` in the test
/// process until the daemon really exits.
final class SpawnedDaemon: @unchecked Sendable {
  let pid: pid_t
  let logPath: String
  private let lock = NSLock()
  private var exitStatus: Int32?

  private init(pid: pid_t, logPath: String) {
    self.pid = pid
    self.logPath = logPath
  }

  deinit { stop() }

  /// Starts `executable` with stdin from /dev/null and stdout+stderr appended to `logPath`.
  static func start(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil)
    throws -> SpawnedDaemon
  {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let environmentPairs = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    let envp = environmentPairs.map { strdup($0) } + [nil]
    defer { envp.forEach { free($0) } }

    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard rc == 0 else { throw FixtureError("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
    return SpawnedDaemon(pid: pid, logPath: logPath)
  }

  /// Everything the daemon logged so far.
  var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// Whether the daemon is still running (reaps it if it exited).
  var isRunning: Bool {
    lock.lock()
    defer { lock.unlock() }
    if exitStatus != nil { return false }
    var status: Int32 = 0
    if waitpid(pid, &status, WNOHANG) == pid {
      exitStatus = status
      return false
    }
    return true
  }

  /// SIGTERM by PID, wait up to `grace` seconds, then SIGKILL and wait. Idempotent.
  func stop(grace: Double = 5) {
    guard isRunning else { return }
    kill(pid, SIGTERM)
    let deadline = Date().addingTimeInterval(grace)
    while isRunning && Date() < deadline { usleep(10_000) }
    if isRunning {
      kill(pid, SIGKILL)
      lock.lock()
      var status: Int32 = 0
      if exitStatus == nil && waitpid(pid, &status, 0) == pid { exitStatus = status }
      lock.unlock()
    }
  }
}
