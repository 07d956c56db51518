import EtcdClient
import Foundation
import Testing
import TestSupport

/// Maintenance calls (hash, alarms, defragment, compaction) against real etcd 3.4.
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)"))
struct RealEtcdMaintenanceTests {
  @Test func hashKVIsEqualOnEveryMemberAtTheSameRevisionAfterWrites() async throws {
    try await withRealCluster { _, client in
      var revision: Int64 = 0
      for index in 0..<20 { revision = try await client.connections[index % 3].put("/hash/\(index)", "value \(index)") }
      var hashes: [KVHash] = []
      for connection in client.connections {
        _ = try await connection.get("/hash/0")  // linearizable: this member has applied every write above
        hashes.append(try await connection.hashKV(revision: revision))
      }
      #expect(Set(hashes.map(\.memberID)).count == 3)
      #expect(Set(hashes.map(\.hash)).count == 1, "\(hashes)")
      #expect(hashes.allSatisfy { $0.revision == revision && $0.compactRevision == -1 && $0.hash != 0 })

      let before = try await client.connections[0].hashKV(revision: revision - 1)
      #expect(before.hash != hashes[0].hash, "a hash at an earlier revision should cover less history")
    }
  }

  @Test func alarmsAreEmptyOnAHealthyMember() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    try await connection.put("a", "b")
    let alarms = try await connection.alarms()
    let disarmed = try await connection.disarmAll()
    await connection.close()
    await etcd.stopped()
    #expect(alarms.isEmpty)
    #expect(disarmed.isEmpty)
  }

  @Test func exceededQuotaRaisesNospaceWhichDisarmAllClears() async throws {
    let etcd = try await RealEtcd.start(extraArguments: ["--quota-backend-bytes", "1"])
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    let memberID = try await connection.status().memberID
    let refused = await #expect(throws: EtcdClientError.self) { try await connection.put("big", "write") }
    let raised = try await connection.alarms()
    let disarmed = try await connection.disarmAll()
    let after = try await connection.alarms()
    await connection.close()
    await etcd.stopped()
    #expect(refused?.serverMessage == "etcdserver: mvcc: database space exceeded")
    #expect(raised == [MemberAlarm(memberID: memberID, alarm: "NOSPACE")])
    #expect(disarmed == raised)
    #expect(after.isEmpty)
  }

  @Test func defragmentAfterCompactionShrinksTheDatabaseFile() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL), callTimeout: .seconds(20))
    let value = String(repeating: "x", count: 16384)
    var revision: Int64 = 0
    for _ in 0..<300 { revision = try await connection.put("/defrag/key", value) }
    try await connection.compact(revision: revision, physical: true)
    let before = try await connection.status()
    try await connection.defragment(timeout: .seconds(30))
    let after = try await connection.status()
    let stillThere = try await connection.get("/defrag/key")
    await connection.close()
    await etcd.stopped()
    #expect(after.dbSize < before.dbSize, "before \(before.dbSize) bytes, after \(after.dbSize)")
    #expect(after.dbSize < 1_000_000, "only one revision of a 16 KiB value is left; \(after.dbSize) bytes")
    #expect(stillThere.kvs.first?.value.count == 16384)
  }

  @Test func rangeAndHashAtACompactedRevisionFailWithEtcdsMessage() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    let old = try await connection.put("k", "v1")
    let current = try await connection.put("k", "v2")
    let atOldBeforeCompaction = try await connection.get("k", revision: old)
    try await connection.compact(revision: current, physical: true)
    let rangeError = await #expect(throws: EtcdClientError.self) { try await connection.get("k", revision: old) }
    let hashError = await #expect(throws: EtcdClientError.self) { try await connection.hashKV(revision: old) }
    let atCurrent = try await connection.get("k", revision: current)
    let hash = try await connection.hashKV()
    await connection.close()
    await etcd.stopped()
    #expect(atOldBeforeCompaction.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["v1"])
    #expect(rangeError?.serverMessage == "etcdserver: mvcc: required revision has been compacted")
    #expect(rangeError?.isCompacted == true)
    #expect(hashError?.isCompacted == true, "\(String(describing: hashError))")
    #expect(atCurrent.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["v2"])
    #expect(hash.compactRevision == current)
  }
}
