import Foundation
import Testing
import TestSupport

extension ClusterTests {
  /// Disaster recovery from a backed-up data directory, and a member of another cluster.
  @Suite struct Recovery {
    @Test(arguments: ClusterServer.enabled)
    func forceNewClusterFromBackedUpDataDir(server: ClusterServer) async throws {
      try await ProcessCluster.with(server) { cluster in
        let members = cluster.members
        let keys = try await cluster.writeKeys(prefix: "kept/", count: 200, on: members)
        for member in members { await member.stop() }
        let first = members[0]
        let backup = cluster.directory + "/backup"
        try FileManager.default.copyItem(atPath: first.dataDirectory, toPath: backup)
        // The cluster goes on after the backup; what it writes then is not in the backup.
        for member in members { try cluster.start(member) }
        try await cluster.waitUntilHealthy(members)
        #expect(try await cluster.put("after-backup", "1", on: members))
        for member in members { await member.stop() }
        try first.clearDataDirectory()
        try FileManager.default.copyItem(atPath: backup, toPath: first.dataDirectory)

        try cluster.start(first, extraEnvironment: ["ETCD_FORCE_NEW_CLUSTER": "true"])
        try await cluster.waitUntilHealthy([first])
        #expect(try await cluster.localKeys(prefix: "kept/", on: first) == Set(keys))
        #expect(try await cluster.localKeys(prefix: "after-backup", on: first).isEmpty)
        let alone = try await cluster.memberList(via: first)
        #expect(alone.members.map(\.name) == [first.name], "\(alone.members)")
        #expect(alone.members.first?.peerURLs == [first.peerURL])

        // Re-add the others one at a time, each with a cleared data directory and state existing.
        var joined = [first]
        for member in members.dropFirst() {
          try member.clearDataDirectory()
          let added = try await cluster.memberChange(["add", member.name, "--peer-urls=\(member.peerURL)"],
                                                  on: joined)
          let initialCluster = try #require(parseEnvironment(added)["ETCD_INITIAL_CLUSTER"], "\(added)")
          try cluster.writeEnvironmentFile(member, initialCluster: initialCluster, state: "existing")
          try cluster.start(member)
          joined.append(member)
          try await cluster.waitUntilHealthy(joined)
        }
        #expect(try await cluster.memberList(via: members[2]).members.count == 3)
        #expect(try await cluster.put("after-recovery", "1", on: members))
        for member in members {
          #expect(try await cluster.localKeys(prefix: "kept/", on: member) == Set(keys), "\(member)")
        }
        #expect(try await cluster.convergedHashes(members).hashes.allEqual)
      }
    }

    /// Cluster B (one member, its own token and data) adds a member at the peer URL of A's infra0, so B's member
    /// connects to A with B's cluster ID: A logs etcd's mismatch line, keeps serving and holds none of B's data.
    @Test(arguments: ClusterServer.enabled)
    func memberOfAnotherClusterIsRefused(server: ClusterServer) async throws {
      try await ProcessCluster.with(server) { cluster in
        let clusterA = cluster.members
        try await cluster.writeKeys(prefix: "a/", count: 10, on: clusterA)
        let intruder = try await cluster.addMember(name: "other0")
        try cluster.writeEnvironmentFile(intruder, initialCluster: "other0=\(intruder.peerURL)", state: "new",
                                         token: "another-cluster")
        try cluster.start(intruder)
        try await cluster.waitUntilHealthy([intruder])
        #expect(try await cluster.put("b-only", "from B", on: [intruder]))
        let listA = try await cluster.memberList(via: clusterA[0])
        let listB = try await cluster.memberList(via: intruder)
        #expect(listA.header.clusterID != listB.header.clusterID)

        _ = try await cluster.memberChange(["add", clusterA[0].name, "--peer-urls=\(clusterA[0].peerURL)"],
                                        on: [intruder])
        let refused = await eventually(within: 30) { clusterA[0].log.contains("request cluster ID mismatch") }
        #expect(refused, "A's infra0 never logged the cluster ID mismatch")
        let line = clusterA[0].log.split(separator: "\n").first { $0.contains("request cluster ID mismatch") }
        print("[\(server)] A's log: \(line ?? "")")
        let senderLine = intruder.log.split(separator: "\n").first { $0.contains("cluster ID mismatch") }
        print("[\(server)] B's log: \(senderLine ?? "(none)")")
        #expect(senderLine != nil, "B never logged that A ignored its requests")

        try await cluster.waitUntilHealthy(clusterA)
        #expect(try await cluster.put("a-still-writes", "1", on: clusterA))
        for member in clusterA {
          #expect(try await cluster.localKeys(prefix: "b-only", on: member).isEmpty, "B's key reached \(member)")
          #expect(try await cluster.localKeys(prefix: "a/", on: member).count == 10)
        }
        let after = try await cluster.memberList(via: clusterA[1])
        #expect(after.members.map(\.id).sorted() == listA.members.map(\.id).sorted(), "A's membership changed")
        #expect(after.header.clusterID == listA.header.clusterID)
      }
    }
  }
}
