import Foundation
import Testing
import TestSupport

/// The flags the day-2 commands share (`--health-timeout`, host lists) are parsed and checked the same way by
/// every command, before any host is reached.
@Suite struct SharedFlagsCommandLineTests {
  func ops(_ arguments: [String]) async throws -> ProcessOutput {
    try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"), arguments, environment: ["PATH": "/usr/bin:/bin"])
  }

  @Test func aHealthTimeoutBelowOneSecondIsAUsageErrorForEveryCommandThatWaits() async throws {
    let commands: [[String]] = [
      ["add-member", "inv.yml", "--host", "h1"],
      ["remove-member", "inv.yml", "--host", "h1"],
      ["replace-member", "inv.yml", "--host", "h1", "--with", "h2"],
      ["restore", "inv.yml", "--from", "snapshot.db"],
      ["restart", "inv.yml"],
      ["upgrade", "inv.yml", "--binary", "etcd"],
      ["defrag", "inv.yml"],
    ]
    for command in commands {
      let output = try await ops(command + ["--health-timeout", "0"])
      #expect(output.status == 2, "\(command): \(output.stderr)")
      #expect(output.stderr.contains("--health-timeout must be at least 1 second"), "\(command): \(output.stderr)")
    }
  }

  @Test func addMemberTrimsSpacesInACommaSeparatedHostList() async throws {
    let workspace = makeTemporaryDirectory("ops-flags")
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    try "cluster: { name: c, tls: false }\nhosts:\n  - { name: h1, address: 192.0.2.1 }\n  - { name: h2, address: 192.0.2.2 }\n"
      .write(toFile: "\(workspace)/inv.yml", atomically: true, encoding: .utf8)
    // h9 is refused by its own name (not " h9") before the cluster is asked anything.
    let output = try await ops(["add-member", "\(workspace)/inv.yml", "--host", "h2, h9", "--dry-run"])
    #expect(output.status == 1, "\(output.stdout)\n\(output.stderr)")
    #expect(output.stderr.contains("host h9 is not in \(workspace)/inv.yml (hosts: h1, h2)"), "\(output.stderr)")
  }
}
