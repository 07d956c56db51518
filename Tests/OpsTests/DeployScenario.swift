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

  func writeInventory(knownHosts: String, extra: String = "") throws {
    var text = "cluster:\n  name: e2e\n" + server.inventoryLines + "  tls: true\n  pki_dir: \(pki)\n  min_free_disk_mb: 50\n  fsync_warn_ms: 1000\n" + extra
    text += "ssh:\n  user: root\n  key: \(hosts.keyPath)\n  known_hosts: \(knownHosts)\n  agent: false\nhosts:\n"
    for host in hosts.hosts { text += "  - { name: \(host.name), address: \(host.address) }\n" }
    try text.write(toFile: inventoryPath, atomically: true, encoding: .utf8)
  }

  /// Runs `swetcd-ops <command> inventory <arguments>` as a user would.
  func ops(_ command: String, _ arguments: [String] = [], timeout: Double = 300) async throws -> ProcessOutput {
    try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"), [command, inventoryPath] + arguments,
                                       environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": workspace], timeout: timeout)
  }

  /// The real etcdctl 3.4 against every member through TLS with the tool's client certificate.
  func etcdctl(_ arguments: [String]) async throws -> ProcessOutput {
    let endpoints = hosts.hosts.map { "https://\($0.address):2379" }.joined(separator: ",")
    return try await ChildProcess.runDetached(RealEtcd.etcdctl!, [
      "--endpoints=\(endpoints)", "--cacert=\(pki)/ca.crt", "--cert=\(pki)/client/root.crt",
      "--key=\(pki)/client/root.key", "--dial-timeout=3s", "--command-timeout=10s",
    ] + arguments, environment: ["ETCDCTL_API": "3"], timeout: 60)
  }
}

/// Why an end-to-end suite cannot run here, or nil.
let deployPrerequisites: String? = {
  if let reason = TestHosts.unavailableReason { return reason }
  if !RealEtcd.isInstalled { return "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)" }
  return nil
}()
