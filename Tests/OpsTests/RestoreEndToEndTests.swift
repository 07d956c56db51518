import EtcdClient
import Foundation
import Testing
import TestSupport

/// `swetcd-ops restore` against real etcd 3.4 on sshd test hosts: disasters made real (data dirs destroyed,
/// members killed), recovered, and every key checked with its value.
enum RestoreScenarios {
  /// Writes `count` keys `key/<n>` = `value-<n>` with a few writers in parallel.
  static func writeKeys(_ scenario: DeployScenario, count: Int) async throws {
    try await scenario.client().closing { client in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<8 {
          group.addTask {
            for n in stride(from: writer, to: count, by: 8) {
              _ = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.put("key/\(n)", "value-\(n)") }
            }
          }
        }
        try await group.waitForAll()
      }
    }
  }

  /// Every `key/<n>` with its value, read back through `hosts`.
  static func readKeys(_ scenario: DeployScenario, on hosts: [String]) async throws -> [String: String] {
    let result = try await scenario.client(hosts).closing { client async throws(EtcdClientError) in
      try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.get("key/", prefix: true) }
    }
    var values: [String: String] = [:]
    for kv in result.kvs { values[String(decoding: kv.key, as: UTF8.self)] = String(decoding: kv.value, as: UTF8.self) }
    return values
  }

  static func expected(_ count: Int) -> [String: String] {
    Dictionary(uniqueKeysWithValues: (0..<count).map { ("key/\($0)", "value-\($0)") })
  }

  /// The disaster on one host: its member crashes and its data dir loses `member/` (required to be gone).
  static func loseData(_ scenario: DeployScenario, on host: String) async throws {
    try await scenario.crashServer(on: host)
    let member = "\(scenario.server.dataDirectory)/member"
    let removed = try await scenario.exec(on: host, ["rm", "-rf", member])
    try #require(removed.status == 0, "rm -rf \(member) on \(host): \(removed.stderr)")
    try #require(try await !exists(scenario, member, on: host), "\(member) must be gone on \(host)")
  }

  /// Whether `path` exists on `host` (the check itself must run there).
  static func exists(_ scenario: DeployScenario, _ path: String, on host: String) async throws -> Bool {
    let output = try await scenario.exec(on: host, ["sh", "-c", "if [ -e \"$1\" ]; then echo present; else echo absent; fi", "sh", path])
    let answer = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try #require(output.status == 0 && ["present", "absent"].contains(answer), "checking \(path) on \(host): \(output.stderr)")
    return answer == "present"
  }

  static func destroyedDataDirsComeBackFromASnapshot(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let deploy = try await scenario.ops("deploy")
      try #require(deploy.status == 0, "\(deploy.stdout.suffix(3000))")
      try await writeKeys(scenario, count: 10_000)
      let backup = try await scenario.ops("backup", ["--to", "\(scenario.workspace)/backups"])
      try #require(backup.status == 0, "\(backup.stdout)\n\(backup.stderr)")
      let snapshot = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(scenario.workspace)/backups").first { $0.hasSuffix(".db") })
      let snapshotPath = "\(scenario.workspace)/backups/\(snapshot)"

      // The disaster: every member crashes and loses its data dir.
      for host in scenario.hosts.hosts { try await loseData(scenario, on: host.name) }

      let refused = try await scenario.ops("restore", ["--from", snapshotPath])
      #expect(refused.status == 1 && refused.stderr.contains("stdin is not a terminal"), "\(refused.stdout)\n\(refused.stderr)")
      #expect(try await !exists(scenario, "\(scenario.server.dataDirectory)/member", on: "host1"), "nothing restored without --yes")
      let plan = try await scenario.ops("restore", ["--from", snapshotPath, "--dry-run"])
      #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
      #expect(plan.stdout.contains("10000 keys at revision"), "\(plan.stdout)")
      #expect(plan.stdout.contains("etcd 3.4's snapshot restore has no --bump-revision/--mark-compacted"), "\(plan.stdout)")

      let restored = try await scenario.ops("restore", ["--from", snapshotPath, "--yes"], timeout: 600)
      #expect(restored.status == 0, "\(restored.stdout.suffix(4000))\n\(restored.stderr.suffix(2000))")
      #expect(restored.stdout.contains("verified: 10000 keys at revision"), "\(restored.stdout.suffix(2000))")
      #expect(restored.stdout.contains(", as in the backup; HashKV host1 "), "every member's HashKV is compared: \(restored.stdout.suffix(2000))")
      // Every key is back with its value, read through each member.
      for host in scenario.hosts.hosts {
        #expect(try await readKeys(scenario, on: [host.name]) == expected(10_000), "keys read through \(host.name)")
      }
      let health = try await scenario.etcdctl(["endpoint", "health"])
      #expect(health.status == 0 && healthyCount(health) == 3, "\(health.stderr)")
      let config = try await scenario.exec(on: "host2", ["cat", "/etc/swetcd/etcd.conf"])
      #expect(config.stdout.contains("ETCD_INITIAL_CLUSTER_TOKEN=\"e2e-restored-"), "a restore makes a NEW cluster: \(config.stdout)")
      // The restored cluster takes writes.
      #expect(try await scenario.etcdctl(["put", "after", "restore"]).status == 0)
    }
  }

  static func twoLostMembersAreRebuiltWithForceNewCluster(_ server: ServerUnderTest) async throws {
    try await DeployScenario.with(server: server) { scenario in
      let deploy = try await scenario.ops("deploy")
      try #require(deploy.status == 0, "\(deploy.stdout.suffix(3000))")
      try await writeKeys(scenario, count: 10_000)
      // host2 and host3 crash and lose their data: host1 alone has no quorum but holds every key.
      for name in ["host2", "host3"] { try await loseData(scenario, on: name) }
      let restored = try await scenario.ops("restore", ["--method", "force-new-cluster", "--yes"], timeout: 900)
      #expect(restored.status == 0, "\(restored.stdout.suffix(5000))\n\(restored.stderr.suffix(2000))")
      #expect(restored.stdout.contains("host1: starting with --force-new-cluster"), "\(restored.stdout.suffix(3000))")
      #expect(restored.stdout.contains("host1: serves 10000 keys"), "\(restored.stdout.suffix(3000))")
      for name in ["host2", "host3"] {
        #expect(restored.stdout.contains("\(name): added as a learner") && restored.stdout.contains("\(name): promoted from learner to voter"),
                "\(restored.stdout.suffix(3000))")
      }
      let members = try await scenario.etcdctl(["member", "list", "-w", "simple"])
      #expect(members.stdout.split(separator: "\n").filter { $0.contains(", started, ") && $0.hasSuffix(", false") }.count == 3, "\(members.stdout)")
      for host in scenario.hosts.hosts {
        #expect(try await readKeys(scenario, on: [host.name]) == expected(10_000), "keys read through \(host.name)")
      }
      // The seed's original data is kept aside, and the flag is gone from its config.
      let copy = try await scenario.exec(on: "host1", ["sh", "-c", "ls -d \(scenario.server.dataDirectory)/.swetcd-ops-aside/before-force-new-cluster-*/member/wal"])
      #expect(copy.status == 0, "\(copy.stderr)")
      let config = try await scenario.exec(on: "host1", ["cat", "/etc/swetcd/etcd.conf"])
      #expect(!config.stdout.contains("FORCE_NEW_CLUSTER"), "\(config.stdout)")
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct RestoreEtcdEndToEndTests {
    @Test func destroyedDataDirsComeBackFromASnapshot() async throws {
      try await RestoreScenarios.destroyedDataDirsComeBackFromASnapshot(.etcd)
    }
    @Test func twoLostMembersAreRebuiltWithForceNewCluster() async throws {
      try await RestoreScenarios.twoLostMembersAreRebuiltWithForceNewCluster(.etcd)
    }
  }
}

extension OpsEndToEndSuites {
  @Suite(.serialized, .disabled("swetcd-ops restore checks and restores a snapshot with the server's ctl, and swetcdctl has no snapshot commands yet (it has only 'version'; its commands are a later issue); etcdctl cannot read swetcd's SQLite snapshots"))
  struct RestoreSwetcdEndToEndTests {
    @Test func destroyedDataDirsComeBackFromASnapshot() async throws {
      try await RestoreScenarios.destroyedDataDirsComeBackFromASnapshot(.swetcd)
    }
    @Test func twoLostMembersAreRebuiltWithForceNewCluster() async throws {
      try await RestoreScenarios.twoLostMembersAreRebuiltWithForceNewCluster(.swetcd)
    }
  }
}
