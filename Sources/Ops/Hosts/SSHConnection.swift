import Foundation
import SSH

/// A host reached over SSH (libssh2), with the inventory's key, known_hosts, sudo and jump-host settings.
public final class SSHConnection: HostConnection {
  public let hostName: String
  let client: SSHClient

  init(hostName: String, client: SSHClient) {
    self.hostName = hostName
    self.client = client
  }

  /// Connects to `host`. `acceptNewHostKeys` records unknown host keys in known_hosts; a changed key is always
  /// refused. Secrets come from the environment variables the inventory names, never from the file.
  public static func connect(
    to host: HostSpec, acceptNewHostKeys: Bool, passphraseProvider: PassphraseProvider? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) async throws(OpsError) -> SSHConnection {
    let target = try target(for: host.ssh, address: host.address, acceptNewHostKeys: acceptNewHostKeys,
                            passphraseProvider: passphraseProvider, environment: environment, hostName: host.name)
    do {
      return SSHConnection(hostName: host.name, client: try await SSHClient.connect(target))
    } catch {
      throw .connectionFailed(host: host.name, message: "\(error)")
    }
  }

  static func target(
    for ssh: SSHSettings, address: String, acceptNewHostKeys: Bool, passphraseProvider: PassphraseProvider?,
    environment: [String: String], hostName: String
  ) throws(OpsError) -> SSHTarget {
    func secret(_ variable: String?, _ what: String) throws(OpsError) -> String? {
      guard let variable else { return nil }
      guard let value = environment[variable], !value.isEmpty else {
        throw .connectionFailed(host: hostName, message: "the inventory takes the \(what) from $\(variable), which is not set; export it first")
      }
      return value
    }
    let sudo: SudoMode
    switch ssh.sudo {
    case .none: sudo = .none
    case .passwordless: sudo = .passwordless
    case .password: sudo = .password(try secret(ssh.sudoPasswordEnv, "sudo password") ?? "")
    }
    // The agent is the one the given environment names, for the jump host and the target alike.
    let agentSocket = environment["SSH_AUTH_SOCK"].flatMap { $0.isEmpty ? nil : $0 }
    let useAgent = ssh.agent && agentSocket != nil
    var jump: SSHTarget?
    if let spec = ssh.jump {
      let (user, host, port) = parseJump(spec, defaultUser: ssh.user)
      jump = SSHTarget(host: host, port: port, user: user, identityFiles: ssh.keys, passphraseProvider: passphraseProvider,
                       useAgent: useAgent, agentSocketPath: agentSocket, knownHostsPath: ssh.knownHosts,
                       hostKeyPolicy: acceptNewHostKeys ? .acceptNew : .strict,
                       connectTimeout: .seconds(ssh.connectTimeoutSeconds))
    }
    return SSHTarget(
      host: address, port: ssh.port, user: ssh.user, identityFiles: ssh.keys, passphraseProvider: passphraseProvider,
      useAgent: useAgent, agentSocketPath: agentSocket, password: try secret(ssh.passwordEnv, "SSH password"),
      knownHostsPath: ssh.knownHosts, hostKeyPolicy: acceptNewHostKeys ? .acceptNew : .strict,
      connectTimeout: .seconds(ssh.connectTimeoutSeconds), jumpHost: jump, sudo: sudo)
  }

  /// `[user@]host[:port]`.
  static func parseJump(_ spec: String, defaultUser: String) -> (user: String, host: String, port: Int) {
    var rest = Substring(spec)
    var user = defaultUser
    if let at = rest.lastIndex(of: "@") {
      user = String(rest[..<at])
      rest = rest[rest.index(after: at)...]
    }
    var port = 22
    if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("["), let value = Int(rest[rest.index(after: colon)...]) {
      port = value
      rest = rest[..<colon]
    }
    return (user, String(rest).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
  }

  public func run(_ command: String, stdin: Data?, timeout: Duration) async throws(OpsError) -> CommandOutput {
    do {
      let result = try await client.run(command, stdin: stdin, timeout: timeout)
      return CommandOutput(stdout: result.stdoutText, stderr: result.stderrText, status: result.exitStatus)
    } catch {
      throw .connectionFailed(host: hostName, message: "\(error)")
    }
  }

  public func readFile(_ path: String) async throws(OpsError) -> Data? {
    do { return try await client.readFile(path) } catch { throw .fileFailed(host: hostName, path: path, message: "\(error)") }
  }

  public func writeFile(_ data: Data, to path: String, mode: Int, owner: String?) async throws(OpsError) {
    do {
      try await client.runChecked("mkdir -p \(shellQuote((path as NSString).deletingLastPathComponent))")
      try await client.upload(data, to: path, mode: UInt32(mode), owner: owner)
    } catch {
      throw .fileFailed(host: hostName, path: path, message: "\(error)")
    }
  }

  public func pushFile(
    localPath: String, to path: String, mode: Int, owner: String?, progress: (@Sendable (Int, Int) -> Void)?
  ) async throws(OpsError) {
    do {
      try await client.runChecked("mkdir -p \(shellQuote((path as NSString).deletingLastPathComponent))")
      var forward: (@Sendable (Int64, Int64) -> Void)?
      if let progress {
        forward = { @Sendable (sent: Int64, total: Int64) in progress(Int(sent), Int(total)) }
      }
      try await client.upload(localFile: localPath, to: path, mode: UInt32(mode), owner: owner, progress: forward)
    } catch {
      throw .fileFailed(host: hostName, path: path, message: "\(error)")
    }
  }

  public func sha256(of path: String) async throws(OpsError) -> String? {
    do { return try await client.fileSHA256(path) } catch { throw .fileFailed(host: hostName, path: path, message: "\(error)") }
  }

  public func close() async { await client.close() }
}
