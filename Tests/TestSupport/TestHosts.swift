import Foundation

/// One test host made by `scripts/testhosts`: a network namespace with its own sshd, hostname and root folder.
public struct TestHost: Sendable, Equatable, Decodable {
  /// The host's name (`host1`, `host2`, ...), also its hostname and the name in its `/etc/hostname`.
  public let name: String
  /// The host's IPv4 address on the harness bridge; its sshd listens on port 22 there.
  public let address: String
  /// The network namespace the host lives in (for `ip netns exec`).
  public let netns: String
  /// PID of the host's sshd, the process whose mount, network and UTS namespaces are the host.
  public let sshdPid: Int32
  /// The folder holding the host's private files: `etc/` (its /etc), `var/lib/swetcd/`, `var/lib/etcd/`,
  /// `var/log/swetcd/`, `usr/local/bin/`, `run/`, `tmp/`, `root/`, `opt/swetcd-backups/`.
  public let rootFolder: String
  /// How far the host's clock runs ahead (negative: behind) in its SSH sessions, in seconds; 0 when not skewed.
  public let skewSeconds: Int

  /// Path of `path` (an absolute path as the host sees it, e.g. `/etc/swetcd/swetcd.conf.yml`) on this machine.
  /// Only meaningful for the folders the host keeps in its root folder (see `rootFolder`).
  public func localPath(_ path: String) -> String {
    rootFolder + (path.hasPrefix("/") ? path : "/" + path)
  }
}

/// What went wrong with the test-host harness, and what to do about it.
public enum TestHostsError: Error, CustomStringConvertible, Sendable {
  /// The harness cannot run here (not root, a tool is missing, or the script is not found).
  case unavailable(reason: String)
  /// `scripts/testhosts` exited non-zero.
  case scriptFailed(arguments: [String], status: Int32, stderr: String)
  /// `hosts.json` could not be read or decoded.
  case badHostsFile(path: String, reason: String)
  /// A host name that the harness did not create.
  case unknownHost(name: String, known: [String])

  public var description: String {
    switch self {
    case .unavailable(let reason):
      return "test hosts are unavailable: \(reason); run the tests as root on a machine with iproute2, nftables, "
        + "openssh-server, util-linux and libfaketime installed (scripts/setup)"
    case .scriptFailed(let arguments, let status, let stderr):
      return "scripts/testhosts \(arguments.joined(separator: " ")) exited with status \(status): "
        + "\(stderr.trimmingCharacters(in: .whitespacesAndNewlines)); read the message above, then clean up with "
        + "`scripts/testhosts down --dir DIR` if a harness folder is left"
    case .badHostsFile(let path, let reason):
      return "cannot read the harness description \(path): \(reason); rerun `scripts/testhosts up` and check its output"
    case .unknownHost(let name, let known):
      return "no test host named '\(name)'; the harness has \(known.joined(separator: ", "))"
    }
  }
}

/// A set of end-to-end test hosts on this machine, made and removed by `scripts/testhosts`
/// (see docs/testhosts.md). Each host runs a real OpenSSH sshd reachable from this process with `keyPath` and
/// `knownHostsPath`; call `down()` when done (also done on deinit, as a safety net).
public final class TestHosts: @unchecked Sendable {
  /// The harness folder (a fresh temporary folder), removed by `down()`.
  public let directory: String
  /// The hosts, in order `host1`, `host2`, ...
  public let hosts: [TestHost]
  /// The controller's private key (ed25519, mode 0600), authorized for root on every host.
  public let keyPath: String
  /// A known_hosts file with every host's ed25519 key under its address.
  public let knownHostsPath: String
  /// This machine's address on the hosts' subnet (what hosts see as the controller).
  public let controllerAddress: String
  /// The hosts' subnet, like `10.213.7.0/24`.
  public let subnet: String

  private let lock = NSLock()
  private var isDown = false

  /// Path of `scripts/testhosts`: `$SWETCD_TESTHOSTS_SCRIPT`, else the one in this source tree.
  public static var scriptPath: String {
    if let path = ProcessInfo.processInfo.environment["SWETCD_TESTHOSTS_SCRIPT"], !path.isEmpty { return path }
    return URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("scripts/testhosts").path
  }

  /// Why test hosts cannot be made on this machine, or nil when they can. Use it to skip e2e tests:
  /// `@Test(.enabled(if: TestHosts.unavailableReason == nil))`.
  public static var unavailableReason: String? {
    if getuid() != 0 { return "not running as root" }
    if !FileManager.default.fileExists(atPath: scriptPath) { return "\(scriptPath) not found" }
    for tool in ["ip", "nft", "sshd", "ssh", "ssh-keygen", "nsenter", "unshare", "flock"]
    where ChildProcess.which(tool) == nil {
      return "\(tool) is not installed"
    }
    return nil
  }

  private init(directory: String, description: HostsFile) {
    self.directory = directory
    self.hosts = description.hosts
    self.keyPath = description.keyPath
    self.knownHostsPath = description.knownHostsPath
    self.controllerAddress = description.controllerAddress
    self.subnet = description.subnet
  }

  deinit { try? down() }

  /// Makes `count` hosts named `host1`...`hostN` in a fresh temporary folder.
  /// - Parameters:
  ///   - skew: clock offsets by host name, like `["host2": "+3s"]` (forms: `+3s`, `-2m`, `+1h`, `-1d`); the skewed
  ///     host's SSH sessions run under libfaketime, so `date` and dynamically linked programs see the offset.
  ///   - subnet: three octets like `10.213.7`; by default a free `10.213.X` is chosen.
  ///   - timeout: seconds to allow `up` (about 1 s per host, more when the machine is busy).
  public static func up(
    count: Int, skew: [String: String] = [:], subnet: String? = nil, timeout: Double = 180
  ) throws -> TestHosts {
    if let reason = unavailableReason { throw TestHostsError.unavailable(reason: reason) }
    let directory = makeTemporaryDirectory("swetcd-testhosts")
    var arguments = ["up", "--dir", directory, "--count", String(count)]
    for (name, offset) in skew.sorted(by: { $0.key < $1.key }) { arguments += ["--skew", "\(name)=\(offset)"] }
    if let subnet { arguments += ["--subnet", subnet] }
    let output: ProcessOutput
    do {
      output = try runScript(arguments, timeout: timeout)
    } catch {
      _ = try? runScript(["down", "--dir", directory], timeout: 60)
      throw error
    }
    guard output.status == 0 else {
      // The script cleans up after a failure itself; this covers a script killed by the timeout.
      _ = try? runScript(["down", "--dir", directory], timeout: 60)
      try? FileManager.default.removeItem(atPath: directory)
      throw TestHostsError.scriptFailed(arguments: arguments, status: output.status, stderr: output.stderr)
    }
    let jsonPath = directory + "/hosts.json"
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: jsonPath))
      return TestHosts(directory: directory, description: try JSONDecoder().decode(HostsFile.self, from: data))
    } catch {
      _ = try? runScript(["down", "--dir", directory], timeout: 60)
      throw TestHostsError.badHostsFile(path: jsonPath, reason: "\(error)")
    }
  }

  /// The host named `name` (`host1`, ...).
  public func host(_ name: String) throws -> TestHost {
    guard let host = hosts.first(where: { $0.name == name }) else {
      throw TestHostsError.unknownHost(name: name, known: hosts.map(\.name))
    }
    return host
  }

  /// The ssh options that reach the hosts as this harness does: the harness key only, strict host-key checking
  /// against `knownHostsPath`, no user or system ssh configuration, no prompts.
  public var sshOptions: [String] {
    [
      "-F", "/dev/null", "-i", keyPath, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=\(knownHostsPath)",
      "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
      "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
    ]
  }

  /// Runs `command` on `host` as root over a real SSH login (`/usr/bin/ssh`), the way the tool under test would.
  public func ssh(on host: String, _ command: String, timeout: Double = 60) throws -> ProcessOutput {
    let address = try self.host(host).address
    return try ChildProcess.run("/usr/bin/ssh", sshOptions + ["root@\(address)", command], timeout: timeout)
  }

  /// Runs `command` directly inside `host`'s mount, network and UTS namespaces (no SSH, no clock skew), e.g.
  /// `["nft", "list", "ruleset"]` to inspect its firewall.
  public func exec(on host: String, _ command: [String], timeout: Double = 60) throws -> ProcessOutput {
    _ = try self.host(host)
    return try Self.runScript(["exec", "--dir", directory, host, "--"] + command, timeout: timeout)
  }

  /// Stops every host process, deletes the namespaces, links and the harness folder. Safe to call again.
  public func down() throws {
    lock.lock()
    defer { lock.unlock() }
    if isDown { return }
    let arguments = ["down", "--dir", directory]
    let output = try Self.runScript(arguments, timeout: 120)
    guard output.status == 0 else {
      throw TestHostsError.scriptFailed(arguments: arguments, status: output.status, stderr: output.stderr)
    }
    isDown = true
  }

  private static func runScript(_ arguments: [String], timeout: Double) throws -> ProcessOutput {
    var environment = ProcessInfo.processInfo.environment
    environment["TESTHOSTS_QUIET"] = "1"
    return try ChildProcess.run("/bin/bash", [scriptPath] + arguments, environment: environment, timeout: timeout)
  }
}

/// The shape of `hosts.json` written by `scripts/testhosts up`.
private struct HostsFile: Decodable {
  let subnet: String
  let controllerAddress: String
  let keyPath: String
  let knownHostsPath: String
  let hosts: [TestHost]
}
