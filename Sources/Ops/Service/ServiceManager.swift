import Foundation

/// Starts, stops and inspects one member's server process on its host.
public protocol ServiceManager: Sendable {
  var kind: ServiceChoice { get }
  /// Whether the member's server is running (or, under systemd, active or activating).
  func isRunning() async throws(OpsError) -> Bool
  /// Starts it without waiting for it to become ready (a new cluster's members must all start before any is ready).
  func start() async throws(OpsError)
  /// Stops it and waits until it has exited.
  func stop() async throws(OpsError)
  /// Makes it start at boot, where the manager supports that.
  func enable() async throws(OpsError)
  /// Whether it starts at boot (the process supervisor has no boot hook: never).
  func isEnabled() async throws(OpsError) -> Bool
  /// Stops it from starting at boot, where the manager supports that.
  func disable() async throws(OpsError)
  /// The last lines of its log, for error messages.
  func recentLog(lines: Int) async -> String
}

public enum ServiceManagers {
  /// systemd where it runs (unless the inventory says `process`), else the process supervisor.
  public static func make(choice: ServiceChoice, facts: HostFacts, host: HostSpec, paths: MemberPaths,
                          connection: any HostConnection) -> any ServiceManager {
    let useSystemd = choice == .systemd || (choice == .auto && facts.systemdRunning)
    if useSystemd { return SystemdService(name: host.node.serviceName, connection: connection) }
    return SupervisedProcess(paths: paths, connection: connection)
  }
}

/// A systemd unit.
struct SystemdService: ServiceManager {
  let name: String
  let connection: any HostConnection
  var kind: ServiceChoice { .systemd }

  func isRunning() async throws(OpsError) -> Bool {
    let state = try await connection.run("systemctl is-active \(shellQuote(name))", stdin: nil, timeout: .seconds(30))
    return ["active", "activating", "reloading"].contains(state.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  func start() async throws(OpsError) {
    try await connection.check("systemctl daemon-reload && systemctl start --no-block \(shellQuote(name))")
  }

  func stop() async throws(OpsError) {
    try await connection.check("systemctl stop \(shellQuote(name))", timeout: .seconds(120))
  }

  func enable() async throws(OpsError) {
    try await connection.check("systemctl daemon-reload && systemctl enable \(shellQuote(name))")
  }

  func isEnabled() async throws(OpsError) -> Bool {
    // is-enabled exits non-zero for "disabled" and friends: read its answer, not its status.
    let state = try await connection.run("systemctl is-enabled \(shellQuote(name))", stdin: nil, timeout: .seconds(30))
    return state.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "enabled"
  }

  func disable() async throws(OpsError) {
    try await connection.check("systemctl disable \(shellQuote(name))", timeout: .seconds(30))
  }

  func recentLog(lines: Int) async -> String {
    (try? await connection.run("journalctl -u \(shellQuote(name)) -n \(lines) --no-pager", stdin: nil, timeout: .seconds(30)).stdout) ?? ""
  }
}

/// The rendered supervisor script, started detached with setsid; tracked by its PID file, whose process is
/// checked to really be the supervisor (a stale PID file after a reboot is ignored).
struct SupervisedProcess: ServiceManager {
  let paths: MemberPaths
  let connection: any HostConnection
  var kind: ServiceChoice { .process }

  /// Prints the supervisor's PID when it is alive.
  private var livePID: String {
    let pid = shellQuote(paths.supervisorPID), script = shellQuote(paths.supervisor)
    return "p=$(cat \(pid) 2>/dev/null) && [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null && tr '\\0' ' ' < /proc/$p/cmdline | grep -qF -- \(script) && echo \"$p\""
  }

  func isRunning() async throws(OpsError) -> Bool {
    let output = try await connection.run(livePID, stdin: nil, timeout: .seconds(30))
    return output.status == 0 && !output.stdout.isEmpty
  }

  func start() async throws(OpsError) {
    guard try await !isRunning() else { return }
    let log = shellQuote(paths.serverLog)
    // Only the setsid command is backgrounded, with every descriptor redirected: a backgrounded `a && b` list
    // would be a subshell holding the session's output open for as long as the supervisor runs.
    try await connection.check("mkdir -p \"$(dirname \(log))\" || exit 1\nsetsid \(shellQuote(paths.supervisor)) </dev/null >/dev/null 2>&1 &")
    // Wait for the supervisor to write its PID file.
    for _ in 0..<100 {
      if try await isRunning() { return }
      try? await Task.sleep(for: .milliseconds(100))
    }
    throw .commandFailed(host: connection.hostName, command: paths.supervisor, status: -1,
                         stderr: "the supervisor did not start; \(await recentLog(lines: 20))")
  }

  func stop() async throws(OpsError) {
    let output = try await connection.run(livePID, stdin: nil, timeout: .seconds(30))
    let pid = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    guard output.status == 0, !pid.isEmpty else { return }
    // SIGTERM reaches the server through the supervisor; etcd flushes and exits. SIGKILL only after 60 s.
    try await connection.check("""
      kill -TERM \(pid); i=0
      while kill -0 \(pid) 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
      if kill -0 \(pid) 2>/dev/null; then pkill -KILL -P \(pid); kill -KILL \(pid); fi
      true
      """, timeout: .seconds(90))
  }

  func enable() async throws(OpsError) {}

  func isEnabled() async throws(OpsError) -> Bool { false }

  func disable() async throws(OpsError) {}

  func recentLog(lines: Int) async -> String {
    (try? await connection.run("tail -n \(lines) \(shellQuote(paths.serverLog))", stdin: nil, timeout: .seconds(30)).stdout) ?? ""
  }
}
