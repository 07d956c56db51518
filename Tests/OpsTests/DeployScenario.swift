import EtcdClient
import Foundation
import Testing
import TestSupport

/// Which server an end-to-end suite deploys.
enum ServerUnderTest: String, Sendable {
  case etcd, swetcd

  /// Inventory lines naming the server and its binaries.
  var inventoryLines: String {
    switch self {
    case .etcd: return "  server: etcd\n  binary: /usr/bin/etcd\n  ctl_binary: /usr/bin/etcdctl\n"
    case .swetcd: return "  server: swetcd\n"
    }
  }

  var serviceName: String { self == .etcd ? "etcd" : "swetcd" }
  /// The inventory's default data dir for this server.
  var dataDirectory: String { self == .etcd ? "/var/lib/etcd" : "/var/lib/swetcd" }
  /// The build on this machine that the scenario's inventory deploys.
  var localBinary: String { self == .etcd ? "/usr/bin/etcd" : ChildProcess.product("swetcd") }
}

/// Test hosts plus an inventory for them and helpers to run swetcd-ops and the real etcdctl against them.
final class DeployScenario: @unchecked Sendable {
  let hosts: TestHosts
  let server: ServerUnderTest
  let workspace: String
  var inventoryPath: String { "\(workspace)/inventory.yml" }
  var pki: String { "\(workspace)/pki" }

  init(count: Int = 3, server: ServerUnderTest, skew: [String: String] = [:], knownHosts: String? = nil) throws {
    hosts = try TestHosts.up(count: count, skew: skew)
    self.server = server
    workspace = makeTemporaryDirectory("deploy-e2e")
    try writeInventory(knownHosts: knownHosts ?? hosts.knownHostsPath)
  }

  /// A safety net only: `with` has torn the hosts down already, off the pool.
  deinit { tearDownNow() }

  /// Brings up `count` test hosts with an inventory for `server`, runs `body` with them, then tears them down,
  /// also when `body` throws. Bringing up and tearing down block for seconds, so both run off the concurrency pool
  /// (see `offPool`).
  static func with<T>(
    count: Int = 3, server: ServerUnderTest, skew: [String: String] = [:], _ body: (DeployScenario) async throws -> T
  ) async throws -> T {
    let scenario = try await offPool { try DeployScenario(count: count, server: server, skew: skew) }
    do {
      let result = try await body(scenario)
      await scenario.tearDown()
      return result
    } catch {
      await scenario.tearDown()
      throw error
    }
  }

  /// Runs a command inside a host's namespaces.
  func exec(on host: String, _ command: [String]) async throws -> ProcessOutput {
    try await offPool { try self.hosts.exec(on: host, command) }
  }

  /// Stops every host process, deletes the hosts and the workspace, off the pool (`TestHosts.down` waits up to
  /// 120 s). Safe to call again.
  func tearDown() async {
    _ = try? await offPool { self.tearDownNow() }
  }

  private func tearDownNow() {
    try? hosts.down()
    try? FileManager.default.removeItem(atPath: workspace)
  }

  /// Writes the inventory listing `only` these hosts (default: all of them).
  func writeInventory(knownHosts: String? = nil, extra: String = "", only: [String]? = nil) throws {
    let knownHosts = knownHosts ?? hosts.knownHostsPath
    var text = "cluster:\n  name: e2e\n" + server.inventoryLines + "  tls: true\n  pki_dir: \(pki)\n  min_free_disk_mb: 50\n  fsync_warn_ms: 1000\n" + extra
    text += "ssh:\n  user: root\n  key: \(hosts.keyPath)\n  known_hosts: \(knownHosts)\n  agent: false\nhosts:\n"
    for host in hosts.hosts where only?.contains(host.name) ?? true { text += "  - { name: \(host.name), address: \(host.address) }\n" }
    try text.write(toFile: inventoryPath, atomically: true, encoding: .utf8)
  }

  /// Runs `swetcd-ops <command> inventory <arguments>` as a user would.
  func ops(_ command: String, _ arguments: [String] = [], timeout: Double = 300) async throws -> ProcessOutput {
    try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"), [command, inventoryPath] + arguments,
                                       environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": workspace], timeout: timeout)
  }

  /// The real etcdctl 3.4 against every member through TLS with the tool's client certificate.
  func etcdctl(_ arguments: [String], on names: [String]? = nil) async throws -> ProcessOutput {
    let endpoints = endpoints(names).joined(separator: ",")
    return try await ChildProcess.runDetached(RealEtcd.etcdctl!, [
      "--endpoints=\(endpoints)", "--cacert=\(pki)/ca.crt", "--cert=\(pki)/client/root.crt",
      "--key=\(pki)/client/root.key", "--dial-timeout=3s", "--command-timeout=10s",
    ] + arguments, environment: ["ETCDCTL_API": "3"], timeout: 60)
  }
}

extension DeployScenario {
  /// Client URLs of these hosts (default: all).
  func endpoints(_ names: [String]? = nil) -> [String] {
    hosts.hosts.filter { names?.contains($0.name) ?? true }.map { "https://\($0.address):2379" }
  }

  /// TLS with the tool's client certificate (CN root) from the deploy's PKI folder.
  var tls: EtcdTLS {
    EtcdTLS(caFile: "\(pki)/ca.crt", certFile: "\(pki)/client/root.crt", keyFile: "\(pki)/client/root.key")
  }

  /// A Swift client with the tool's client certificate.
  func client(_ names: [String]? = nil, callTimeout: Duration = .seconds(10)) throws -> EtcdClient {
    try EtcdClient(endpoints: endpoints(names), tls: tls, callTimeout: callTimeout)
  }

  /// The process supervisor's PID file on every host (test hosts run no systemd).
  var pidFile: String { "/var/log/swetcd/\(server.serviceName).pid" }

  /// The PID of the server process under `host`'s supervisor, or nil while none runs. Read from this machine
  /// without blocking: the hosts share its PID namespace, and the PID file lives in the host's own folder.
  func serverPID(on host: String) -> String? {
    guard let host = hosts.hosts.first(where: { $0.name == host }),
          let supervisor = try? String(contentsOfFile: host.localPath(pidFile), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines),
          !supervisor.isEmpty,
          let children = try? String(contentsOfFile: "/proc/\(supervisor)/task/\(supervisor)/children", encoding: .utf8)
    else { return nil }
    // The supervisor's child is the server, except for a moment after fork or while it waits to restart one.
    return children.split(whereSeparator: \.isWhitespace).map(String.init).first { pid in
      let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
      return name?.trimmingCharacters(in: .whitespacesAndNewlines) == server.serviceName
    }
  }

  /// Kills a member's supervisor and server at once (a crash, not a stop).
  func crashServer(on host: String) async throws {
    let output = try await exec(on: host, ["sh", "-c", "p=$(cat \(pidFile)); kill -9 $p $(pgrep -P $p); rm -f \(pidFile)"])
    try #require(output.status == 0, "\(output.stderr)")
  }
}

/// How many members `etcdctl endpoint health` reported healthy (it writes one line per endpoint to stderr).
func healthyCount(_ health: ProcessOutput) -> Int {
  health.stderr.components(separatedBy: " is healthy: successfully committed proposal").count - 1
}

/// Why an end-to-end suite cannot run here, or nil.
let deployPrerequisites: String? = {
  if let reason = TestHosts.unavailableReason { return reason }
  if !RealEtcd.isInstalled { return "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)" }
  return nil
}()
