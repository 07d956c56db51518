import EtcdClient
import Foundation
@testable import Ops
import Testing
import TestSupport

/// `swetcd-ops upgrade`, `restart`, `defrag` and `compact` against real OpenSSH test hosts running the real etcd
/// 3.4 and against swetcd, checked with the real etcdctl and by watching the server processes from this machine.
enum RollingScenarios {
  /// Every host's server PID, each required to be there.
  static func pids(_ scenario: DeployScenario) throws -> [String: String] {
    var result: [String: String] = [:]
    for host in scenario.hosts.hosts {
      result[host.name] = try #require(scenario.serverPID(on: host.name), "no server runs under \(host.name)'s supervisor")
    }
    return result
  }

  /// A file's SHA-256, hashed off the pool; the test fails when the file cannot be read.
  static func sha256(_ path: String) async throws -> String {
    let hash = try await offPool { SHA256Hex.ofFile(path) }
    return try #require(hash, "cannot read \(path)")
  }

  /// The SHA-256 of every host's installed server binary.
  static func binarySHA256s(_ scenario: DeployScenario) async throws -> [String: String] {
    var result: [String: String] = [:]
    for host in scenario.hosts.hosts {
      result[host.name] = try await sha256(host.localPath("/usr/local/bin/\(scenario.server.serviceName)"))
    }
    return result
  }

  /// The inventory name of the member that leads now.
  static func leaderName(_ scenario: DeployScenario) async throws -> String {
    let leader = try await scenario.client().closing { client in await client.leader() }
    let status = try #require(leader, "the cluster must have a leader")
    return try #require(scenario.hosts.hosts.first { $0.address == status.endpoint.host }?.name)
  }

  /// The plan's numbered order lines ("  1. host1  follower  restart").
  static func orderLines(_ output: String) -> [String] {
    output.split(separator: "\n").map(String.init).filter { line in
      line.hasPrefix("  ") && line.dropFirst(2).first?.isNumber == true && line.contains(". ")
    }
  }

  /// Every distinct server PID of every host, in order, with when it was first seen.
  typealias PIDHistory = [String: [(pid: String, at: ContinuousClock.Instant)]]

  /// Watches every host's server PID every 100 ms.
  static func watchPIDs(_ scenario: DeployScenario) -> Poller<PIDHistory> {
    Poller(PIDHistory(), every: .milliseconds(100)) { () async -> (pids: [String: String], at: ContinuousClock.Instant)? in
      var pids: [String: String] = [:]
      for host in scenario.hosts.hosts { pids[host.name] = scenario.serverPID(on: host.name) }
      return (pids, .now)
    } record: { seen, sample in
      for (host, pid) in sample.pids where seen[host]?.last?.pid != pid { seen[host, default: []].append((pid, sample.at)) }
    }
  }
}

extension RollingScenarios {
  static func rollingUpgradeUnderLoad(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let deploy = try await scenario.ops("deploy")
      try #require(deploy.status == 0, "\(deploy.stdout.suffix(3000))\n\(deploy.stderr.suffix(1000))")

      // A different build that still runs: the same binary with bytes appended (another SHA-256).
      let newBuild = "\(scenario.workspace)/build2/\(server.serviceName)"
      try FileManager.default.createDirectory(atPath: "\(scenario.workspace)/build2", withIntermediateDirectories: true)
      var bytes = try Data(contentsOf: URL(fileURLWithPath: server.localBinary))
      bytes.append(Data("\nswetcd rolling upgrade test build 2\n".utf8))
      try bytes.write(to: URL(fileURLWithPath: newBuild))
      chmod(newBuild, 0o755)
      let deployedSHA = try await sha256(server.localBinary)
      let newSHA = try await sha256(newBuild)
      #expect(newSHA != deployedSHA)
      #expect(try await ChildProcess.runDetached(newBuild, ["--version"]).status == 0, "the appended build must still run")
      let shaBefore = try await binarySHA256s(scenario)
      for (host, sha) in shaBefore { #expect(sha == deployedSHA, "\(host) should run the deployed \(server.localBinary)") }
      let pidsBefore = try pids(scenario)
      let leader = try await leaderName(scenario)

      // Without --yes and without a terminal: refused, nothing pushed, nothing restarted.
      let unconfirmed = try await scenario.ops("upgrade", ["--binary", newBuild])
      #expect(unconfirmed.status == 1, "\(unconfirmed.stdout.suffix(2000))")
      #expect(unconfirmed.stderr.contains("not confirmed"), "\(unconfirmed.stderr)")
      #expect(try await binarySHA256s(scenario) == shaBefore)
      #expect(try pids(scenario) == pidsBefore)

      let load = try WriteLoad.start(endpoints: scenario.endpoints(), tls: scenario.tls, prefix: "upgrade-load/")
      let watcher = watchPIDs(scenario)
      // Both watch from the start: a write went through and every host's PID was seen.
      let watching = await eventually(within: 10) {
        let seen = watcher.current
        return load.succeededSoFar > 0 && scenario.hosts.hosts.allSatisfy { seen[$0.name]?.last?.pid == pidsBefore[$0.name] }
      }
      #expect(watching, "the write load and the PID watcher must be running before the upgrade")
      let upgrade = try await scenario.ops("upgrade", ["--binary", newBuild, "--yes"], timeout: 600)
      // Until the watcher has seen every host's current server and the load has written on the new builds.
      let writtenAtEnd = load.succeededSoFar
      let caughtUp = await eventually(within: 10) {
        let seen = watcher.current
        let settled = scenario.hosts.hosts.allSatisfy { host in
          scenario.serverPID(on: host.name).map { seen[host.name]?.last?.pid == $0 } ?? false
        }
        return settled && load.succeededSoFar > writtenAtEnd
      }
      let seen = await watcher.stop()
      let report = await load.stop()
      let output = upgrade.stdout + upgrade.stderr
      #expect(caughtUp, "the watcher saw every current server and a write succeeded after the upgrade: \(report)")

      #expect(upgrade.status == 0, "\(output.suffix(4000))")
      #expect(orderLines(upgrade.stdout).last?.contains(leader) == true, "the leader \(leader) comes last:\n\(upgrade.stdout.prefix(3000))")
      #expect(upgrade.stdout.contains("Quorum: 3 voters, quorum 2: one member down at a time keeps 2 of 3"))
      #expect(upgrade.stdout.contains("\(leader): moved leadership from \(leader) to "), "\(upgrade.stdout.suffix(3000))")
      #expect(upgrade.stdout.contains("Versions (from Status):"))
      let shaAfter = try await binarySHA256s(scenario)
      #expect(shaAfter.count == 3)
      for (host, sha) in shaAfter { #expect(sha == newSHA, "\(host) still has \(sha)") }
      // Every server restarted exactly once, the leader last.
      var changedAt: [String: ContinuousClock.Instant] = [:]
      for host in scenario.hosts.hosts {
        let history = seen[host.name] ?? []
        #expect(history.count == 2, "\(host.name) PIDs seen: \(history.map(\.pid))")
        #expect(history.first?.pid == pidsBefore[host.name])
        if history.count >= 2 { changedAt[host.name] = history[1].at }
      }
      let leaderChange = try #require(changedAt[leader])
      for (host, at) in changedAt where host != leader { #expect(at < leaderChange, "\(host) restarted after the leader \(leader)") }
      // Writes went on throughout; failures only in short leader-change windows.
      #expect(report.succeeded > 100, "\(report)")
      #expect(report.longestOutage < .seconds(10), "\(report)")
      let health = try await scenario.etcdctl(["endpoint", "health"])
      #expect(health.status == 0, "\(health.stderr)")
      let last = try #require(report.lastWritten, "the load wrote nothing: \(report)")
      let read = try await scenario.etcdctl(["get", last.key, "--print-value-only"])
      #expect(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == last.value)

      // A re-run finds every member on the new build and does nothing.
      let pidsAfter = try pids(scenario)
      let again = try await scenario.ops("upgrade", ["--binary", newBuild, "--yes"])
      #expect(again.status == 0, "\(again.stdout.suffix(2000))\n\(again.stderr)")
      #expect(again.stdout.contains("Nothing to do: every member already runs the new build."), "\(again.stdout.suffix(2000))")
      #expect(try pids(scenario) == pidsAfter)
    }
  }

  static func guardrailsThenDefragAndCompact(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let deploy = try await scenario.ops("deploy")
      try #require(deploy.status == 0, "\(deploy.stdout.suffix(3000))\n\(deploy.stderr.suffix(1000))")
      let oldRevision = try await scenario.client().closing { client async throws(EtcdClientError) -> Int64 in
        let first = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.put("rolling/key", "v1") }
        for round in 2...50 {
          _ = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.put("rolling/key", "v\(round)") }
        }
        return first
      }
      let pidsBefore = try pids(scenario)
      let leader = try await leaderName(scenario)

      // (2) No --yes and stdin is /dev/null: refused, exit 1, nothing changed.
      let restart = try await scenario.ops("restart")
      #expect(restart.status == 1, "\(restart.stdout.suffix(2000))")
      #expect(restart.stderr.contains("not confirmed: refusing to restart 3 members of cluster e2e one at a time"), "\(restart.stderr)")
      #expect(restart.stderr.contains("stdin is not a terminal"))
      let compact = try await scenario.ops("compact")
      #expect(compact.status == 1, "\(compact.stdout.suffix(2000))")
      #expect(compact.stderr.contains("not confirmed: refusing to compact cluster e2e's history before revision"), "\(compact.stderr)")
      let stillThere = try await scenario.etcdctl(["get", "rolling/key", "--rev=\(oldRevision)", "--print-value-only"])
      #expect(stillThere.status == 0 && stillThere.stdout.contains("v1"), "\(stillThere.stdout)\(stillThere.stderr)")
      #expect(try pids(scenario) == pidsBefore)

      // --dry-run: the table, the order with the leader last and the quorum line; nothing changes.
      let plan = try await scenario.ops("restart", ["--dry-run"])
      #expect(plan.status == 0, "\(plan.stdout.suffix(2000))\n\(plan.stderr)")
      let order = orderLines(plan.stdout)
      #expect(order.count == 3, "\(plan.stdout)")
      #expect(order.last?.contains(leader) == true && order.last?.contains("leader") == true, "\(plan.stdout)")
      #expect(plan.stdout.contains("Quorum: 3 voters, quorum 2: one member down at a time keeps 2 of 3"))
      #expect(plan.stdout.contains("RAFT INDEX"))
      // The running binary is recognised: upgrading to the deployed build has nothing to do.
      let same = try await scenario.ops("upgrade", ["--binary", server.localBinary, "--dry-run"])
      #expect(same.status == 0, "\(same.stdout.suffix(2000))\n\(same.stderr)")
      #expect(same.stdout.contains("Nothing to upgrade."), "\(same.stdout)")
      #expect(same.stdout.components(separatedBy: ": already runs the new build").count - 1 == 3)
      let unknown = try await scenario.ops("restart", ["--hosts", "host9"])
      #expect(unknown.status == 2, "\(unknown.stderr)")
      #expect(try pids(scenario) == pidsBefore)

      // (3) defrag: sizes before and after for every member, the leader last, healthy after.
      let defrag = try await scenario.ops("defrag")
      #expect(defrag.status == 0, "\(defrag.stdout.suffix(3000))\n\(defrag.stderr)")
      let sizes = defrag.stdout.split(separator: "\n").filter { $0.hasPrefix("[") && $0.contains(": db size ") && $0.contains(" -> ") }
      #expect(sizes.count == 3, "\(defrag.stdout)")
      #expect(sizes.last?.contains("[3/3] \(leader):") == true, "\(defrag.stdout)")
      #expect(defrag.stdout.contains("DB SIZE BEFORE"))
      #expect(try await scenario.etcdctl(["endpoint", "health"]).status == 0)
      #expect(try pids(scenario) == pidsBefore, "defragmentation restarts nothing")

      // compact --yes: the old revision is gone.
      let compacted = try await scenario.ops("compact", ["--yes"])
      #expect(compacted.status == 0, "\(compacted.stdout.suffix(2000))\n\(compacted.stderr)")
      #expect(compacted.stdout.contains("Compacted: the history before revision"), "\(compacted.stdout)")
      let gone = try await scenario.etcdctl(["get", "rolling/key", "--rev=\(oldRevision)"])
      #expect(gone.status != 0)
      #expect(gone.stderr.contains("required revision has been compacted"), "\(gone.stderr)")
      let latest = try await scenario.etcdctl(["get", "rolling/key", "--print-value-only"])
      #expect(latest.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "v50")
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct RollingEtcdEndToEndTests {
    @Test func rollingUpgradeUnderLoadRestartsEachMemberOnceWithTheLeaderLast() async throws {
      try await RollingScenarios.rollingUpgradeUnderLoad(.etcd)
    }

    @Test func withoutYesNothingChangesThenDefragAndCompactDoTheirWork() async throws {
      try await RollingScenarios.guardrailsThenDefragAndCompact(.etcd)
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct RollingSwetcdEndToEndTests {
    @Test func rollingUpgradeUnderLoadRestartsEachMemberOnceWithTheLeaderLast() async throws {
      try await RollingScenarios.rollingUpgradeUnderLoad(.swetcd)
    }

    @Test func withoutYesNothingChangesThenDefragAndCompactDoTheirWork() async throws {
      try await RollingScenarios.guardrailsThenDefragAndCompact(.swetcd)
    }
  }
}
