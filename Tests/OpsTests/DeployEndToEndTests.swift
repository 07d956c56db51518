import Foundation
import Testing
import TestSupport

/// `swetcd-ops deploy` against real OpenSSH test hosts, checked with the real etcdctl 3.4 through TLS.
/// The scenarios are written once and run for each server (see the suites at the bottom).
enum DeployScenarios {
  static func freshHostsBecomeAHealthyClusterAndRerunChangesNothing(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let first = try await scenario.ops("deploy")
      #expect(first.status == 0, "deploy failed:\n\(first.stdout.suffix(3000))\n\(first.stderr.suffix(2000))")
      let health = try await scenario.etcdctl(["endpoint", "health"])
      #expect(health.status == 0, "\(health.stderr)")
      #expect(healthyCount(health) == 3, "\(health.stderr)")
      let members = try await scenario.etcdctl(["member", "list", "-w", "simple"])
      for host in scenario.hosts.hosts {
        #expect(members.stdout.contains(", started, \(host.name), https://\(host.address):2380, https://\(host.address):2379, false"))
      }
      // Firewall: the default-drop input chain now admits the peer port from the other members only.
      let rules = try await scenario.exec(on: "host1", ["nft", "list", "ruleset"])
      let peers = scenario.hosts.hosts.dropFirst().map(\.address).joined(separator: ", ")
      #expect(rules.stdout.contains("tcp dport 2380 ip saddr { \(peers) } accept comment \"swetcd-ops e2e peer"))
      #expect(rules.stdout.contains("tcp dport 2379 accept comment \"swetcd-ops e2e client"))
      // The unit file was rendered and passes systemd-analyze on the host.
      let unit = "/etc/systemd/system/\(server.serviceName).service"
      let verify = try await scenario.exec(on: "host2", ["systemd-analyze", "verify", unit])
      #expect(verify.status == 0, "\(verify.stderr)")
      #expect(!verify.stderr.contains("\(server.serviceName).service:"), "\(verify.stderr)")
      // Keys are private to the service user.
      let keyMode = try await scenario.exec(on: "host3", ["stat", "-c", "%a %U", "/etc/swetcd/pki/server.key"])
      #expect(keyMode.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "600 etcd")
      // Second run: nothing to do.
      let second = try await scenario.ops("deploy")
      #expect(second.status == 0, "\(second.stdout.suffix(3000))")
      #expect(second.stdout.contains("changed=0 failed=0"), "\(second.stdout.suffix(3000))")
    }
  }

  static func unknownHostKeyIsRefusedUnlessAccepted(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(count: 1, server: server) { scenario in
      let emptyKnownHosts = "\(scenario.workspace)/known_hosts"
      _ = FileManager.default.createFile(atPath: emptyKnownHosts, contents: nil)
      try scenario.writeInventory(knownHosts: emptyKnownHosts)
      let refused = try await scenario.ops("deploy", ["--only", "preflight"])
      #expect(refused.status == 1)
      let address = scenario.hosts.hosts[0].address
      #expect((refused.stdout + refused.stderr).contains(address), "\(refused.stdout)\n\(refused.stderr)")
      #expect((refused.stdout + refused.stderr).contains("SHA256:"), "the error shows the key's fingerprint")
      #expect((try String(contentsOfFile: emptyKnownHosts, encoding: .utf8)).isEmpty, "nothing is written without --accept-new-host-keys")
      let accepted = try await scenario.ops("deploy", ["--only", "preflight", "--accept-new-host-keys"])
      #expect(accepted.status == 0, "\(accepted.stdout)\n\(accepted.stderr)")
      #expect((try String(contentsOfFile: emptyKnownHosts, encoding: .utf8)).contains(address))
    }
  }

  static func skewedHostFailsPreflightClearly(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server, skew: ["host2": "+3s"]) { scenario in
      let result = try await scenario.ops("deploy")
      #expect(result.status == 1)
      let text = result.stdout + result.stderr
      let failLine = text.split(separator: "\n").first { $0.hasPrefix("FAIL host2 clock:") }
      #expect(failLine != nil, "\(text.suffix(3000))")
      #expect(failLine?.contains("ms ahead of this machine (limit 500 ms") == true)
      #expect(text.contains("Preflight failed: nothing was changed"))
      #expect(!text.contains("FAIL host1 clock") && !text.contains("FAIL host3 clock"))
      let binary = scenario.hosts.hosts[0].localPath("/usr/local/bin/\(server.serviceName)")
      #expect(!FileManager.default.fileExists(atPath: binary), "preflight failure must leave hosts untouched")
    }
  }
}

extension DeployScenarios {
  static func interruptedDeployConvergesOnRerun(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let run = try ChildProcess.startLogged(ChildProcess.product("swetcd-ops"), ["deploy", scenario.inventoryPath],
                                             logPath: "\(scenario.workspace)/interrupted.log",
                                             environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": scenario.workspace])
      let reached = try await offPool { run.waitForOutput(containing: "binaries: pushed", timeout: 120) }
      kill(run.pid, SIGKILL)
      _ = try await offPool { run.process.waitUntilExit() }
      #expect(reached, "\(run.output.suffix(2000))")
      #expect(!run.output.contains("ok="), "the run was killed before it finished")
      let rerun = try await scenario.ops("deploy")
      #expect(rerun.status == 0, "\(rerun.stdout.suffix(3000))\n\(rerun.stderr.suffix(1000))")
      #expect(try await scenario.etcdctl(["endpoint", "health"]).status == 0)
    }
  }

  /// Every host's server PID, each required to be there.
  static func serverPIDs(_ scenario: DeployScenario) throws -> [String] {
    try scenario.hosts.hosts.map { host in
      try #require(scenario.serverPID(on: host.name), "no server runs under \(host.name)'s supervisor")
    }
  }

  static func changedTemplateIsPlannedThenRolledOutKeepingQuorum(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let first = try await scenario.ops("deploy")
      try #require(first.status == 0, "\(first.stdout.suffix(3000))")
      let shipped = try String(contentsOfFile: "\(ShippedInventoriesTests.folder)/../templates/etcd.conf", encoding: .utf8)
      let custom = "\(scenario.workspace)/templates"
      try FileManager.default.createDirectory(atPath: custom, withIntermediateDirectories: true)
      try (shipped + "ETCD_SNAPSHOT_COUNT=\"20000\"\n").write(toFile: "\(custom)/etcd.conf", atomically: true, encoding: .utf8)
      let pidsBefore = try serverPIDs(scenario)

      // --dry-run: the diff and the rolling plan, and nothing changes.
      let plan = try await scenario.ops("deploy", ["--dry-run", "--templates", custom])
      #expect(plan.status == 0, "\(plan.stdout.suffix(2000))")
      #expect(plan.stdout.contains("+ETCD_SNAPSHOT_COUNT=\"20000\""))
      #expect(plan.stdout.contains("--- host1:/etc/swetcd/etcd.conf"))
      #expect(plan.stdout.contains("would restart host1, host2, host3 one at a time"), "\(plan.stdout.suffix(2000))")
      let untouched = try await scenario.exec(on: "host1", ["cat", "/etc/swetcd/etcd.conf"])
      #expect(!untouched.stdout.contains("SNAPSHOT_COUNT"))

      // The real run, watched by a poller that counts healthy members the whole time.
      let watching = Poller((minimum: Int.max, samples: 0), every: .milliseconds(200)) { () async -> Int? in
        guard let health = try? await scenario.etcdctl(["endpoint", "health"]) else { return nil }
        return healthyCount(health)
      } record: { seen, healthy in
        seen = (min(seen.minimum, healthy), seen.samples + 1)
      }
      let rollout = try await scenario.ops("deploy", ["--templates", custom])
      let watched = await watching.stop()
      #expect(rollout.status == 0, "\(rollout.stdout.suffix(3000))")
      let restarts = rollout.stdout.split(separator: "\n").filter { $0.contains("start: restarted") }
      #expect(restarts.count == 3, "\(rollout.stdout.suffix(3000))")
      #expect(watched.samples > 3, "the poller must have watched the rollout")
      #expect(watched.minimum >= 2, "quorum (2 of 3) must hold during the rolling restart; saw \(watched.minimum)")
      let pidsAfter = try serverPIDs(scenario)
      for (before, after) in zip(pidsBefore, pidsAfter) { #expect(before != after, "every server was restarted") }
      for host in scenario.hosts.hosts {
        #expect(try await scenario.exec(on: host.name, ["cat", "/etc/swetcd/etcd.conf"]).stdout.contains("ETCD_SNAPSHOT_COUNT=\"20000\""))
      }
      #expect(try await scenario.etcdctl(["endpoint", "health"]).status == 0)
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct DeployEtcdEndToEndTests {
    @Test func freshHostsBecomeAHealthyClusterAndRerunChangesNothing() async throws {
      try await DeployScenarios.freshHostsBecomeAHealthyClusterAndRerunChangesNothing(.etcd)
    }
    @Test func unknownHostKeyIsRefusedUnlessAccepted() async throws {
      try await DeployScenarios.unknownHostKeyIsRefusedUnlessAccepted(.etcd)
    }
    @Test func skewedHostFailsPreflightClearly() async throws {
      try await DeployScenarios.skewedHostFailsPreflightClearly(.etcd)
    }
    @Test func interruptedDeployConvergesOnRerun() async throws {
      try await DeployScenarios.interruptedDeployConvergesOnRerun(.etcd)
    }
    @Test func changedTemplateIsPlannedThenRolledOutKeepingQuorum() async throws {
      try await DeployScenarios.changedTemplateIsPlannedThenRolledOutKeepingQuorum(.etcd)
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized)
  struct DeploySwetcdEndToEndTests {
    @Test func freshHostsBecomeAHealthyClusterAndRerunChangesNothing() async throws {
      try await DeployScenarios.freshHostsBecomeAHealthyClusterAndRerunChangesNothing(.swetcd)
    }
    @Test func unknownHostKeyIsRefusedUnlessAccepted() async throws {
      try await DeployScenarios.unknownHostKeyIsRefusedUnlessAccepted(.swetcd)
    }
    @Test func skewedHostFailsPreflightClearly() async throws {
      try await DeployScenarios.skewedHostFailsPreflightClearly(.swetcd)
    }
    @Test func interruptedDeployConvergesOnRerun() async throws {
      try await DeployScenarios.interruptedDeployConvergesOnRerun(.swetcd)
    }
    @Test func changedTemplateIsPlannedThenRolledOutKeepingQuorum() async throws {
      try await DeployScenarios.changedTemplateIsPlannedThenRolledOutKeepingQuorum(.swetcd)
    }
  }
}
