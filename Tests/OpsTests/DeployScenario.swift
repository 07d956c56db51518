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

  deinit { tearDown() }

  /// Brings the hosts up without blocking the concurrency pool (see `offPool`).
  static func make(count: Int = 3, server: ServerUnderTest, skew: [String: String] = [:]) async throws -> DeployScenario {
    try await offPool { try DeployScenario(count: count, server: server, skew: skew) }
  }

  /// Runs a command inside a host's namespaces.
  func exec(on host: String, _ command: [String]) async throws -> ProcessOutput {
    try await offPool { try self.hosts.exec(on: host, command) }
  }

  func tearDown() {
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

  /// A Swift client with the tool's client certificate.
  func client(_ names: [String]? = nil) throws -> EtcdClient {
    try EtcdClient(endpoints: endpoints(names),
                   tls: EtcdTLS(caFile: "\(pki)/ca.crt", certFile: "\(pki)/client/root.crt", keyFile: "\(pki)/client/root.key"),
                   callTimeout: .seconds(10))
  }

  /// Kills a member's supervisor and server at once (a crash, not a stop).
  func crashServer(on host: String) async throws {
    let pidFile = "/var/log/swetcd/\(server.serviceName).pid"
    let output = try await exec(on: host, ["sh", "-c", "p=$(cat \(pidFile)); kill -9 $p $(pgrep -P $p); rm -f \(pidFile)"])
    try #require(output.status == 0, "\(output.stderr)")
  }
}

/// Why an end-to-end suite cannot run here, or nil.
let deployPrerequisites: String? = {
  if let reason = TestHosts.unavailableReason { return reason }
  if !RealEtcd.isInstalled { return "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)" }
  return nil
}()
