import Foundation
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A real OpenSSH sshd on 127.0.0.1 with its own ed25519 host key, config and authorized_keys in a temp dir.
/// Started with `sshd -D -e -f <config>`, stopped by PID (SIGTERM, then wait).
final class LoopbackSSHD: @unchecked Sendable {
  let directory: String
  let port: Int
  let hostKeyPath: String
  let authorizedKeysPath: String
  private let process: SpawnedDaemon

  struct Options {
    /// AllowTcpForwarding (needed on a jump host).
    var allowTcpForwarding = false
    /// Extra sshd_config lines.
    var extraConfig = ""
  }

  private init(directory: String, port: Int, process: SpawnedDaemon) {
    self.directory = directory
    self.port = port
    self.process = process
    hostKeyPath = directory + "/ssh_host_ed25519_key"
    authorizedKeysPath = directory + "/authorized_keys"
  }

  deinit { stop() }

  /// Starts sshd in a new folder under `parent`, retrying on another port if the chosen one was taken meanwhile.
  static func start(in parent: String, name: String = "sshd", options: Options = Options()) throws -> LoopbackSSHD {
    let sshdPath = "/usr/sbin/sshd"
    guard FileManager.default.isExecutableFile(atPath: sshdPath) else { throw FixtureError("sshd is not installed") }
    let directory = parent + "/" + name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
    let hostKey = directory + "/ssh_host_ed25519_key"
    try runToolSync("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(name)-host", "-f", hostKey])
    _ = FileManager.default.createFile(atPath: directory + "/authorized_keys", contents: Data())

    var lastLog = ""
    for _ in 0..<5 {
      let port = freeTCPPort()
      let config = """
        ListenAddress 127.0.0.1
        Port \(port)
        HostKey \(hostKey)
        PidFile \(directory)/sshd.pid
        AuthorizedKeysFile \(directory)/authorized_keys
        StrictModes no
        UsePAM no
        PermitRootLogin yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        AllowTcpForwarding \(options.allowTcpForwarding ? "yes" : "no")
        Subsystem sftp internal-sftp
        LogLevel VERBOSE
        \(options.extraConfig)

        """
      let configPath = directory + "/sshd_config"
      try config.write(toFile: configPath, atomically: true, encoding: .utf8)
      let process = try SpawnedDaemon.start(
        sshdPath, ["-D", "-e", "-f", configPath], logPath: directory + "/sshd-\(port).log")
      if waitUntilAccepting(port: port, process: process, timeout: 10) {
        return LoopbackSSHD(directory: directory, port: port, process: process)
      }
      lastLog = process.output
      process.stop()
    }
    throw FixtureError("sshd did not start: \(lastLog)")
  }

  /// Stops sshd by PID (SIGTERM, wait). Idempotent.
  func stop() { process.stop() }

  /// sshd's log so far (useful in failure messages).
  var log: String { process.output }

  /// The host public key line, `ssh-ed25519 AAAA... comment`.
  var hostPublicKey: String {
    ((try? String(contentsOfFile: hostKeyPath + ".pub", encoding: .utf8)) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The known_hosts line OpenSSH would write for this server.
  var knownHostsLine: String {
    let parts = hostPublicKey.split(separator: " ")
    return "[127.0.0.1]:\(port) \(parts[0]) \(parts[1])"
  }

  /// `SHA256:...` of the host key, as `ssh-keygen -lf` prints it.
  func hostKeyFingerprint() async throws -> String {
    let output = try await runTool("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", hostKeyPath + ".pub"])
    return String(output.split(separator: " ")[1])
  }

  /// Appends a public key file's line to authorized_keys.
  func authorize(publicKeyPath: String) throws {
    let line = try String(contentsOfFile: publicKeyPath, encoding: .utf8)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authorizedKeysPath))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(line.utf8))
    try handle.close()
  }

  private static func waitUntilAccepting(port: Int, process: SpawnedDaemon, timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if !process.isRunning { return false }
      if canConnect(port: port) { return true }
      usleep(20_000)
    }
    return false
  }

  /// Whether a TCP connection to 127.0.0.1:port is accepted.
  static func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}

/// A fixture could not be set up.
struct FixtureError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Runs a tool to completion; throws with its stderr when it fails. Blocks: call it off the cooperative pool.
@discardableResult
func runToolSync(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
  let output = try ChildProcess.run(executable, arguments, environment: environment, timeout: 30)
  guard output.status == 0 else {
    throw FixtureError("\(executable) \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr)")
  }
  return output.stdout
}

/// `runToolSync` on a dispatch thread, so waiting tests never starve the (2-thread) cooperative pool.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> String {
  try await offPool { try runToolSync(executable, arguments, environment: environment) }
}
