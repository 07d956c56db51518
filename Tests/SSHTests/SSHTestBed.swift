import Foundation
import SSH
import TestSupport

/// One test's world: a temp folder, a loopback sshd, a client key it accepts, and a known_hosts file that
/// already trusts the server (unless asked not to). Torn down by `withTestBed`.
final class SSHTestBed: @unchecked Sendable {
  let directory: String
  let sshd: LoopbackSSHD
  /// An unencrypted ed25519 key (mode 0600) in authorized_keys.
  let clientKey: String
  let knownHosts: String
  private var extraServers: [LoopbackSSHD] = []
  private var agents: [LoopbackSSHAgent] = []

  init(trustServer: Bool = true, options: LoopbackSSHD.Options = .init()) throws {
    directory = makeTemporaryDirectory("swetcd-ssh")
    do {
      sshd = try LoopbackSSHD.start(in: directory, options: options)
      clientKey = try makeKeySync(named: "id_ed25519", in: directory)
      try sshd.authorize(publicKeyPath: clientKey + ".pub")
      knownHosts = directory + "/known_hosts"
      let lines = trustServer ? sshd.knownHostsLine + "\n" : ""
      try lines.write(toFile: knownHosts, atomically: true, encoding: .utf8)
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw error
    }
  }

  /// A target for this bed's sshd as root with only the bed's key (agent off unless given).
  func target(
    identityFiles: [String]? = nil, policy: HostKeyPolicy = .strict, useAgent: Bool = false,
    agentSocket: String? = nil, sudo: SudoMode = .none, commandTimeout: Duration = .seconds(30),
    passphrase: String? = nil, provider: PassphraseProvider? = nil, server: LoopbackSSHD? = nil
  ) -> SSHTarget {
    SSHTarget(
      host: "127.0.0.1", port: (server ?? sshd).port, user: "root", identityFiles: identityFiles ?? [clientKey],
      keyPassphrase: passphrase, passphraseProvider: provider, useAgent: useAgent, agentSocketPath: agentSocket,
      knownHostsPath: knownHosts, hostKeyPolicy: policy, connectTimeout: .seconds(5), commandTimeout: commandTimeout,
      sudo: sudo)
  }

  /// Another sshd in this bed (for jump hosts), authorizing the bed's key and trusted in known_hosts.
  func startAnotherServer(name: String, options: LoopbackSSHD.Options = .init()) async throws -> LoopbackSSHD {
    try await offPool { try self.startAnotherServerNow(name: name, options: options) }
  }

  private func startAnotherServerNow(name: String, options: LoopbackSSHD.Options) throws -> LoopbackSSHD {
    let server = try LoopbackSSHD.start(in: directory, name: name, options: options)
    extraServers.append(server)
    try server.authorize(publicKeyPath: clientKey + ".pub")
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: knownHosts))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data((server.knownHostsLine + "\n").utf8))
    try handle.close()
    return server
  }

  /// Starts an ssh-agent child for this bed.
  func startAgent() async throws -> LoopbackSSHAgent {
    let directory = self.directory
    let agent = try await offPool {
      try LoopbackSSHAgent.start(socketPath: directory + "/agent.sock", logPath: directory + "/agent.log")
    }
    agents.append(agent)
    return agent
  }

  /// Stops every process this bed started (by PID) and removes the folder.
  func tearDown() {
    for agent in agents { agent.stop() }
    for server in extraServers { server.stop() }
    sshd.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }
}

/// Runs `body` with a fresh test bed and always tears it down.
func withTestBed<T>(
  trustServer: Bool = true, options: LoopbackSSHD.Options = .init(), _ body: (SSHTestBed) async throws -> T
) async throws -> T {
  let bed = try await offPool { try SSHTestBed(trustServer: trustServer, options: options) }
  do {
    let result = try await body(bed)
    _ = try? await offPool { bed.tearDown() }
    return result
  } catch {
    _ = try? await offPool { bed.tearDown() }
    throw error
  }
}

/// Makes a key with ssh-keygen (`type` ed25519 or rsa, optional passphrase); returns the private key path.
func makeKey(named name: String, in directory: String, type: String = "ed25519", passphrase: String = "")
  async throws -> String
{
  try await offPool { try makeKeySync(named: name, in: directory, type: type, passphrase: passphrase) }
}

/// `makeKey` for code already off the cooperative pool.
func makeKeySync(named name: String, in directory: String, type: String = "ed25519", passphrase: String = "") throws
  -> String
{
  let path = directory + "/" + name
  var arguments = ["-q", "-t", type, "-N", passphrase, "-C", "test-\(name)", "-f", path]
  if type == "rsa" { arguments += ["-b", "3072"] }
  try runToolSync("/usr/bin/ssh-keygen", arguments)
  return path
}

/// An ssh-agent child (`ssh-agent -D -a <socket>`), stopped by PID.
final class LoopbackSSHAgent: @unchecked Sendable {
  let socketPath: String
  private let process: SpawnedDaemon

  private init(socketPath: String, process: SpawnedDaemon) {
    self.socketPath = socketPath
    self.process = process
  }

  static func start(socketPath: String, logPath: String) throws -> LoopbackSSHAgent {
    let process = try SpawnedDaemon.start("/usr/bin/ssh-agent", ["-D", "-a", socketPath], logPath: logPath)
    let deadline = Date().addingTimeInterval(10)
    while !FileManager.default.fileExists(atPath: socketPath) {
      guard Date() < deadline, process.isRunning else {
        process.stop()
        throw FixtureError("ssh-agent did not start: \(process.output)")
      }
      usleep(20_000)
    }
    return LoopbackSSHAgent(socketPath: socketPath, process: process)
  }

  /// `ssh-add` a key into this agent.
  func add(_ keyPath: String) async throws {
    try await runTool("/usr/bin/ssh-add", [keyPath], environment: ["SSH_AUTH_SOCK": socketPath, "PATH": "/usr/bin:/bin"])
  }

  func stop() { process.stop() }
}

/// A value shared with @Sendable callbacks in tests, guarded by a lock.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Value

  init(_ value: Value) { stored = value }

  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&stored)
  }

  var value: Value { withLock { $0 } }
}
