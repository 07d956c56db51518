import EtcdClient
import Foundation
import Ops
import Testing
import TestSupport

/// Retention keeps the newest backups and never the current one.
@Suite struct BackupRetentionTests {
  let now = Date(timeIntervalSince1970: 1_800_000_000)
  func name(daysAgo: Double, revision: Int64) -> String {
    BackupRetention.fileName(cluster: "c", date: now.addingTimeInterval(-daysAgo * 86_400), revision: revision)
  }

  @Test func keepsTheNewestCountAndIgnoresOtherFiles() {
    let files = [name(daysAgo: 3, revision: 10), name(daysAgo: 1, revision: 30), name(daysAgo: 2, revision: 20),
                 "other-20260101T000000Z-rev1.db", "c-notes.txt", name(daysAgo: 1, revision: 30).replacingOccurrences(of: ".db", with: ".json")]
    #expect(BackupRetention.expired(files, cluster: "c", keep: 2, maxAge: nil, now: now) == [name(daysAgo: 3, revision: 10)])
  }

  @Test func removesOlderThanMaxAgeButAlwaysKeepsTheNewest() {
    let files = [name(daysAgo: 10, revision: 1), name(daysAgo: 9, revision: 2), name(daysAgo: 1, revision: 3)]
    #expect(Set(BackupRetention.expired(files, cluster: "c", keep: nil, maxAge: 7 * 86_400, now: now)) ==
            [name(daysAgo: 10, revision: 1), name(daysAgo: 9, revision: 2)])
    let allOld = [name(daysAgo: 30, revision: 1), name(daysAgo: 20, revision: 2)]
    #expect(BackupRetention.expired(allOld, cluster: "c", keep: nil, maxAge: 86_400, now: now) == [name(daysAgo: 30, revision: 1)])
  }

  @Test func fileNameCarriesClusterUTCTimeAndRevision() {
    #expect(BackupRetention.fileName(cluster: "prod", date: Date(timeIntervalSince1970: 0), revision: 42) == "prod-19700101T000000Z-rev42.db")
  }
}

/// `swetcd-ops backup` against the real etcd 3.4: every key comes back from the snapshot.
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup"))
struct BackupEndToEndTests {
  @Test func backupOfAThousandKeysRestoresIntoAFreshMemberWithEveryKey() async throws {
    let etcd = try await RealEtcd.start(name: "b1")
    let workspace = makeTemporaryDirectory("backup-e2e")
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    for index in 0..<1000 { try await connection.put("/data/key-\(index)", "value-\(index)") }
    await connection.close()
    let clientPort = Int(etcd.clientURL.split(separator: ":").last!)!
    let peerPort = Int(etcd.peerURL.split(separator: ":").last!)!
    let inventory = "\(workspace)/inventory.yml"
    try """
      cluster: { name: bk, server: etcd, binary: /usr/bin/etcd, ctl_binary: /usr/bin/etcdctl, tls: false }
      hosts:
        - { name: b1, address: 127.0.0.1, connection: local, client_port: \(clientPort), peer_port: \(peerPort) }
      """.write(toFile: inventory, atomically: true, encoding: .utf8)
    var outputs: [ProcessOutput] = []
    for _ in 0..<3 {
      outputs.append(try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"),
        ["backup", inventory, "--to", "\(workspace)/backups", "--keep", "2", "--verify"]))
      try await Task.sleep(for: .milliseconds(1100))  // distinct second-resolution names
    }
    await etcd.stopped()
    for output in outputs { #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)") }
    #expect(outputs.last?.stdout.contains("retention: removed bk-") == true)
    let files = try FileManager.default.contentsOfDirectory(atPath: "\(workspace)/backups").sorted()
    #expect(files.filter { $0.hasSuffix(".db") }.count == 2)
    #expect(files.filter { $0.hasSuffix(".json") }.count == 2)
    let snapshot = try #require(files.last { $0.hasSuffix(".db") })
    let manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: "\(workspace)/backups/\(snapshot.replacingOccurrences(of: ".db", with: ".json"))")))
    #expect(manifest.revision == 1001)
    #expect(snapshot.hasSuffix("-rev1001.db"))
    #expect(manifest.takenFrom == "b1")
    #expect((manifest.verifiedKeys ?? 0) >= 1000)
    #expect(manifest.members.map(\.name) == ["b1"])

    // Restore with the real etcdctl into a new data dir, start a member on it, and read every key back.
    let restoredDir = "\(workspace)/restored"
    let restore = try await ChildProcess.runDetached(RealEtcd.etcdctl!, [
      "snapshot", "restore", "\(workspace)/backups/\(snapshot)", "--data-dir", restoredDir, "--name", "b1",
      "--initial-cluster", "b1=\(etcd.peerURL)", "--initial-advertise-peer-urls", etcd.peerURL,
    ], environment: ["ETCDCTL_API": "3"])
    #expect(restore.status == 0, "\(restore.stderr)")
    let restored = try await RealEtcd.start(name: "b1", extraArguments: ["--data-dir", restoredDir])
    let check = try EtcdConnection(endpoint: EtcdEndpoint(parsing: restored.clientURL))
    let all = try await check.get("/data/", prefix: true)
    let sample = try await check.get("/data/key-777")
    await check.close()
    await restored.stopped()
    #expect(all.count == 1000)
    #expect(sample.kvs.first.map { String(decoding: $0.value, as: UTF8.self) } == "value-777")
  }
}
