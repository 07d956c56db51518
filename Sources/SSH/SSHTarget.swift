import Foundation

/// What to do with a server host key that known_hosts does not list yet.
public enum HostKeyPolicy: Sendable, Equatable {
  /// Refuse unknown keys (OpenSSH `StrictHostKeyChecking yes`). The default.
  case strict
  /// Append unknown keys to known_hosts and continue (OpenSSH `StrictHostKeyChecking accept-new`).
  /// A key that differs from a recorded one is still refused.
  case acceptNew
}

/// How commands become root on the remote host.
public enum SudoMode: Sendable, Equatable, CustomStringConvertible {
  /// Run commands as the login user.
  case none
  /// Wrap commands in `sudo -n`; fails clearly if sudo wants a password.
  case passwordless
  /// Wrap commands in `sudo -S` and answer its prompt with this password (sent on stdin only when sudo asks;
  /// never logged, never part of a command line or an error).
  case password(String)

  public var description: String {
    switch self {
    case .none: return "none"
    case .passwordless: return "passwordless"
    case .password: return "password(<redacted>)"
    }
  }
}

/// Where and how to connect: one SSH server, its credentials and its policies.
///
/// Secrets (password, passphrase, sudo password) are redacted from `description` and from mirrors (`dump`).
public struct SSHTarget: Sendable, CustomStringConvertible, CustomReflectable {
  /// Host name or IP address.
  public var host: String
  /// TCP port of sshd.
  public var port: Int
  /// Login user.
  public var user: String
  /// Private key files (ed25519, ecdsa or rsa; OpenSSH or PEM format) tried in order after the agent.
  public var identityFiles: [String]
  /// A non-interactive passphrase for encrypted key files (tried before `passphraseProvider`).
  public var keyPassphrase: String?
  /// Asked for the passphrase of an encrypted key file when `keyPassphrase` is nil; asked at most once per key.
  public var passphraseProvider: PassphraseProvider?
  /// Try the keys of ssh-agent first.
  public var useAgent: Bool
  /// The agent's socket; nil means `SSH_AUTH_SOCK` from the environment.
  public var agentSocketPath: String?
  /// A login password; used only when given here (password, then keyboard-interactive).
  public var password: String?
  /// The known_hosts file that host keys are checked against (and appended to under `.acceptNew`).
  public var knownHostsPath: String
  /// What to do with unknown host keys. Changed keys are always refused.
  public var hostKeyPolicy: HostKeyPolicy
  /// Limit for each network step of connecting: TCP connect, handshake, each authentication exchange.
  public var connectTimeout: Duration
  /// Default limit for one command, and the longest an upload may stall without progress.
  public var commandTimeout: Duration
  /// How commands become root (`run(..., sudo: true)`, uploads, reads).
  public var sudo: SudoMode
  private var jump: JumpBox?

  /// A target with OpenSSH-like defaults: port 22, agent on, the user's default key files, strict host keys
  /// against `~/.ssh/known_hosts`, 10 s connect timeout, 300 s command timeout, no sudo.
  public init(
    host: String, port: Int = 22, user: String = SSHTarget.currentUser,
    identityFiles: [String] = SSHTarget.defaultIdentityFiles(),
    keyPassphrase: String? = nil, passphraseProvider: PassphraseProvider? = nil,
    useAgent: Bool = true, agentSocketPath: String? = nil, password: String? = nil,
    knownHostsPath: String = SSHTarget.defaultKnownHostsPath, hostKeyPolicy: HostKeyPolicy = .strict,
    connectTimeout: Duration = .seconds(10), commandTimeout: Duration = .seconds(300),
    jumpHost: SSHTarget? = nil, sudo: SudoMode = .none
  ) {
    self.host = host
    self.port = port
    self.user = user
    self.identityFiles = identityFiles
    self.keyPassphrase = keyPassphrase
    self.passphraseProvider = passphraseProvider
    self.useAgent = useAgent
    self.agentSocketPath = agentSocketPath
    self.password = password
    self.knownHostsPath = knownHostsPath
    self.hostKeyPolicy = hostKeyPolicy
    self.connectTimeout = connectTimeout
    self.commandTimeout = commandTimeout
    self.sudo = sudo
    self.jump = jumpHost.map(JumpBox.init)
  }

  /// The host to go through first (OpenSSH ProxyJump); it may itself have a jump host.
  public var jumpHost: SSHTarget? {
    get { jump?.target }
    set { jump = newValue.map(JumpBox.init) }
  }

  /// `user@host:port`, with the jump chain if any. Contains no secrets.
  public var description: String {
    let base = "\(user)@\(host):\(port)"
    guard let jumpHost else { return base }
    return "\(base) via \(jumpHost)"
  }

  /// The name known_hosts uses for this host: `host` on port 22, `[host]:port` otherwise.
  public var knownHostsName: String {
    port == 22 ? host : "[\(host)]:\(port)"
  }

  public var customMirror: Mirror {
    Mirror(self, children: [
      "host": host, "port": port, "user": user, "identityFiles": identityFiles,
      "keyPassphrase": keyPassphrase == nil ? "nil" : "<redacted>",
      "useAgent": useAgent, "agentSocketPath": agentSocketPath as Any,
      "password": password == nil ? "nil" : "<redacted>",
      "knownHostsPath": knownHostsPath, "hostKeyPolicy": hostKeyPolicy,
      "connectTimeout": connectTimeout, "commandTimeout": commandTimeout,
      "sudo": sudo.description, "jumpHost": jumpHost?.description ?? "nil",
    ])
  }

  /// The target with a leading `~/` in its file paths replaced by the home directory.
  func expandingTildes() -> SSHTarget {
    var copy = self
    copy.identityFiles = identityFiles.map(Self.expandTilde)
    copy.knownHostsPath = Self.expandTilde(knownHostsPath)
    copy.agentSocketPath = agentSocketPath.map(Self.expandTilde)
    return copy
  }

  static func expandTilde(_ path: String) -> String {
    if path == "~" { return homeDirectory }
    return path.hasPrefix("~/") ? homeDirectory + path.dropFirst() : path
  }

  func validate() throws(SSHError) {
    if host.isEmpty { throw .invalidTarget(reason: "the host name is empty") }
    if user.isEmpty { throw .invalidTarget(reason: "the user name is empty for host \(host)") }
    if !(1...65535).contains(port) { throw .invalidTarget(reason: "port \(port) of host \(host) is not in 1-65535") }
    if host.contains(where: { $0 == " " || $0 == "," || $0 == "\n" }) {
      throw .invalidTarget(reason: "host name '\(host)' contains spaces or commas")
    }
  }
}

extension SSHTarget {
  /// The name of the user running this process (`USER`, else `root`).
  public static var currentUser: String {
    ProcessInfo.processInfo.environment["USER"] ?? "root"
  }

  /// The home directory of the user running this process.
  static var homeDirectory: String {
    ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
  }

  /// `~/.ssh/known_hosts`.
  public static var defaultKnownHostsPath: String { homeDirectory + "/.ssh/known_hosts" }

  /// The key files OpenSSH tries by default that exist: `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`.
  public static func defaultIdentityFiles() -> [String] {
    ["id_ed25519", "id_ecdsa", "id_rsa"].map { homeDirectory + "/.ssh/" + $0 }
      .filter { FileManager.default.fileExists(atPath: $0) }
  }
}

/// Boxes a jump target so `SSHTarget` can refer to another `SSHTarget`.
private final class JumpBox: Sendable {
  let target: SSHTarget
  init(_ target: SSHTarget) { self.target = target }
}

extension Duration {
  /// The duration in (fractional) seconds.
  var seconds: Double {
    let parts = components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
  }
}
