import EtcdProto
import Foundation
import Testing
import TestSupport

/// The real etcdctl 3.4 (Debian etcd-client) talks to a server built from our generated code.
@Suite struct EtcdctlInteropTests {
  static let etcdctl = ChildProcess.which("etcdctl")

  @Test(.enabled(if: etcdctl != nil, "etcdctl is not installed; run scripts/setup (Debian etcd-client)"))
  func realEtcdctlReadsEndpointStatusAsJSON() async throws {
    let output = try await withLoopbackServer(services: [FakeMaintenanceService()]) { port in
      try await ChildProcess.runDetached(
        Self.etcdctl!, ["--endpoints=127.0.0.1:\(port)", "--dial-timeout=5s", "endpoint", "status", "-w", "json"],
        environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"], timeout: 30)
    }
    #expect(output.status == 0, "etcdctl failed: \(output.stderr)")
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
    let status = try #require(entries.first?["Status"] as? [String: Any])
    let header = try #require(status["header"] as? [String: Any])
    #expect(status["version"] as? String == "3.4.23")
    #expect((status["leader"] as? NSNumber)?.uint64Value == FakeMaintenanceService.memberID)
    #expect((status["raftIndex"] as? NSNumber)?.intValue == 17)
    #expect((header["revision"] as? NSNumber)?.intValue == 42)
  }

  @Test(.enabled(if: etcdctl != nil, "etcdctl is not installed; run scripts/setup (Debian etcd-client)"))
  func realEtcdctlPrintsStatusTableWithHexMemberID() async throws {
    let output = try await withLoopbackServer(services: [FakeMaintenanceService()]) { port in
      try await ChildProcess.runDetached(
        Self.etcdctl!, ["--endpoints=127.0.0.1:\(port)", "--dial-timeout=5s", "endpoint", "status", "-w", "table"],
        environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"], timeout: 30)
    }
    #expect(output.status == 0, "etcdctl failed: \(output.stderr)")
    #expect(output.stdout.contains("| 127.0.0.1:"))
    #expect(output.stdout.contains(String(FakeMaintenanceService.memberID, radix: 16)))
    #expect(output.stdout.contains("3.4.23"))
    #expect(output.stdout.contains("20 kB"))
  }
}
