import EtcdClient
import Foundation
import Testing
import TestSupport

/// The Swift client against the real etcd 3.4: the calls swetcd-ops relies on.
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)"))
struct RealEtcdClientTests {
  @Test func statusReportsASingleMemberThatLeadsItself() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    let status = try await connection.status()
    await connection.close()
    await etcd.stopped()
    #expect(status.isLeader)
    #expect(status.version == "3.4.23")
    #expect(status.memberID != 0 && status.clusterID != 0)
    #expect(status.raftIndex > 0)
    #expect(status.dbSize > 0)
  }

  @Test func memberListNamesTheMemberAndItsURLs() async throws {
    let etcd = try await RealEtcd.start(name: "alpha")
    let client = try EtcdClient(endpoints: [etcd.clientURL])
    let list = try await client.memberList()
    await client.close()
    await etcd.stopped()
    #expect(list.members.count == 1)
    #expect(list.members.first?.name == "alpha")
    #expect(list.members.first?.peerURLs == [etcd.peerURL])
    #expect(list.members.first?.clientURLs == [etcd.clientURL])
    #expect(list.members.first?.isLearner == false)
    #expect(list.answeredBy == list.members.first?.id)
  }

  @Test func putThenGetAndPrefixGetSeeTheWrites() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    let first = try await connection.put("/app/a", "1")
    let second = try await connection.put("/app/b", "2")
    try await connection.put("/other", "3")
    let one = try await connection.get("/app/a")
    let all = try await connection.get("/app/", prefix: true)
    let missing = try await connection.get("/nope")
    await connection.close()
    await etcd.stopped()
    #expect(second == first + 1)
    #expect(one.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["1"])
    #expect(one.kvs.first?.modRevision == first)
    #expect(all.kvs.map { String(decoding: $0.key, as: UTF8.self) } == ["/app/a", "/app/b"])
    #expect(missing.kvs.isEmpty && missing.count == 0)
  }

  @Test func healthIsTrueForAWorkingMemberAndTheSameAsEtcdctl() async throws {
    let etcd = try await RealEtcd.start()
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    let health = await connection.health()
    await connection.close()
    #expect(health.isHealthy, "\(health.error ?? "")")
    let etcdctl = try await ChildProcess.runDetached(RealEtcd.etcdctl!, etcd.etcdctlArguments(tls: nil) + ["endpoint", "health"])
    await etcd.stopped()
    #expect(etcdctl.stderr.contains("is healthy: successfully committed proposal"))
  }

  @Test func unreachableEndpointFailsFastAsUnavailable() async throws {
    let port = freeTCPPort()
    // A call timeout far longer than any refused connect: `.unavailable` (not `.timedOut`) proves the call
    // failed on the refused connection instead of waiting for the timeout, without timing the test.
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: "127.0.0.1:\(port)"), callTimeout: .seconds(120))
    let error = await #expect(throws: EtcdClientError.self) { try await connection.status() }
    await connection.close()
    guard case .unavailable(let endpoint, _)? = error else {
      Issue.record("expected unavailable, got \(String(describing: error))")
      return
    }
    #expect(endpoint == "http://127.0.0.1:\(port)")
    #expect(error?.description.contains("check that the member is running") == true)
  }

  @Test func clusterCallsFailOverPastADeadEndpoint() async throws {
    let etcd = try await RealEtcd.start(name: "survivor")
    let client = try EtcdClient(endpoints: ["127.0.0.1:\(freeTCPPort())", etcd.clientURL])
    let list = try await client.memberList()
    let health = await client.healthOfAll()
    let statuses = await client.statusOfAll()
    await client.close()
    await etcd.stopped()
    #expect(list.members.map(\.name) == ["survivor"])
    #expect(health.map(\.isHealthy) == [false, true])
    #expect(statuses.count == 2)
    if case .success = statuses[0] { Issue.record("the dead endpoint should not report a status") }
    if case .failure(let error) = statuses[1] { Issue.record("live endpoint failed: \(error)") }
  }
}
