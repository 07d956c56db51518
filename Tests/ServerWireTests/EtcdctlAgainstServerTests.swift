import EtcdAPI
import EtcdServer
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
import TestSupport

/// The real etcdctl 3.4 against the member's gRPC services (in this process, over a plain gRPC listener on
/// loopback): the wire format, headers and error texts are what etcd's own client expects.
@Suite struct EtcdctlAgainstServerTests {
  /// Runs a member and its services on 127.0.0.1 for the duration of `body`, which gets etcdctl's endpoint.
  static func withServer<T: Sendable>(_ body: @Sendable (_ endpoint: String, _ server: EtcdServer) async throws -> T)
    async throws -> T
  {
    let directory = makeTemporaryDirectory("swetcd-wire")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var settings = MemberSettings(dataDirectory: directory + "/data")
    settings.unsafeNoFsync = true
    let member = try EtcdServer(settings: settings, log: ServerLog(minimum: .error))
    defer { member.stop() }
    var config = HTTP2ServerTransport.Posix.Config.defaults
    config.connection.keepalive.clientBehavior = .init(minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true)
    let transport = HTTP2ServerTransport.Posix(
      address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext, config: config)
    let grpc = GRPCServer(transport: transport, services: [
      KVService(server: member), MaintenanceService(server: member), LeaseService(server: member),
      ClusterService(server: member), WatchService(server: member), LockService(server: member),
      ElectionService(server: member), HealthService(server: member), AuthService(server: member),
    ])
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask {
        try await grpc.serve()
        return nil
      }
      defer { grpc.beginGracefulShutdown() }
      let port = try #require(try await transport.listeningAddress.ipv4?.port)
      let result = try await body("127.0.0.1:\(port)", member)
      grpc.beginGracefulShutdown()
      for try await _ in group {}
      return result
    }
  }

  static func etcdctl(_ endpoint: String, _ arguments: String...) async throws -> ProcessOutput {
    try await etcdctl(endpoint, arguments)
  }

  static func etcdctl(_ endpoint: String, _ arguments: [String]) async throws -> ProcessOutput {
    let etcdctl = try #require(ChildProcess.which("etcdctl"), "etcdctl 3.4 (Debian etcd-client) is not installed")
    return try await offPool {
      try ChildProcess.run(etcdctl, ["--endpoints=\(endpoint)", "--command-timeout=10s"] + arguments,
                       environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"], timeout: 30)
    }
  }

  @Test func putGetDeleteAndPrefixReadsWorkWithTheRealEtcdctl() async throws {
    try await Self.withServer { (endpoint: String, _: EtcdServer) async throws in
      #expect(try await Self.etcdctl(endpoint, "put", "foo", "bar").stdout == "OK\n")
      #expect(try await Self.etcdctl(endpoint, "put", "foo2", "baz").stdout == "OK\n")
      #expect(try await Self.etcdctl(endpoint, "get", "foo").stdout == "foo\nbar\n")
      #expect(try await Self.etcdctl(endpoint, "get", "--prefix", "foo", "--print-value-only").stdout == "bar\nbaz\n")
      #expect(try await Self.etcdctl(endpoint, "get", "--prefix", "foo", "--keys-only").stdout == "foo\n\nfoo2\n\n")
      #expect(try await Self.etcdctl(endpoint, "del", "foo").stdout == "1\n")
      #expect(try await Self.etcdctl(endpoint, "get", "foo").stdout == "")
    }
  }

  @Test func jsonOutputCarriesEtcdsDefaultMemberAndClusterIDs() async throws {
    try await Self.withServer { (endpoint: String, server: EtcdServer) async throws in
      let output = try await Self.etcdctl(endpoint, "put", "k", "v", "-w", "json")
      let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
      let header = try #require(json["header"] as? [String: Any])
      #expect((header["cluster_id"] as? NSNumber)?.uint64Value == server.clusterID)
      #expect((header["member_id"] as? NSNumber)?.uint64Value == server.memberID)
      #expect((header["revision"] as? NSNumber)?.int64Value == 2)
    }
  }

  @Test func txnCompactionAndErrorsLookAsEtcdsToEtcdctl() async throws {
    try await Self.withServer { (endpoint: String, _: EtcdServer) async throws in
      for value in ["1", "2", "3"] { _ = try await Self.etcdctl(endpoint, "put", "k", value) }
      #expect(try await Self.etcdctl(endpoint, "compaction", "3").stdout == "compacted revision 3\n")
      let compacted = try await Self.etcdctl(endpoint, "get", "k", "--rev=2")
      #expect(compacted.status != 0)
      #expect(compacted.stderr.contains("etcdserver: mvcc: required revision has been compacted"))
      let future = try await Self.etcdctl(endpoint, "get", "k", "--rev=99")
      #expect(future.stderr.contains("etcdserver: mvcc: required revision is a future revision"))
    }
  }

  @Test func leasesAndEndpointStatusAndMemberListWorkWithTheRealEtcdctl() async throws {
    try await Self.withServer { (endpoint: String, server: EtcdServer) async throws in
      let grant = try await Self.etcdctl(endpoint, "lease", "grant", "60")
      let id = try #require(grant.stdout.split(separator: " ").dropFirst().first.map(String.init), "\(grant.stdout)")
      #expect(grant.stdout.hasSuffix("granted with TTL(60s)\n"))
      #expect(try await Self.etcdctl(endpoint, "put", "leased", "x", "--lease=\(id)").stdout == "OK\n")
      let ttl = try await Self.etcdctl(endpoint, "lease", "timetolive", id, "--keys")
      #expect(ttl.stdout.contains("attached keys([leased])"), "\(ttl.stdout)")
      #expect(try await Self.etcdctl(endpoint, "lease", "revoke", id).stdout.contains("revoked"))
      #expect(try await Self.etcdctl(endpoint, "get", "leased").stdout == "")
      let status = try await Self.etcdctl(endpoint, "endpoint", "status", "-w", "json")
      #expect(status.status == 0, "\(status.stderr)")
      #expect(status.stdout.contains("\"leader\":\(server.memberID)"), "\(status.stdout)")
      let members = try await Self.etcdctl(endpoint, "member", "list")
      #expect(members.stdout.hasPrefix("8e9e05c52164694d, started, default, http://localhost:2380"), "\(members.stdout)")
      let health = try await Self.etcdctl(endpoint, "endpoint", "health")
      // etcdctl 3.4 prints the health line on standard error.
      #expect(health.status == 0 && health.stderr.contains("\(endpoint) is healthy"), "\(health.stdout)\(health.stderr)")
    }
  }

  @Test func etcdctlWatchSeesLiveEventsAndHistoryWithPrevKV() async throws {
    try await Self.withServer { (endpoint: String, _: EtcdServer) async throws in
      _ = try await Self.etcdctl(endpoint, "put", "w/a", "old")  // revision 2
      let etcdctl = try #require(ChildProcess.which("etcdctl"))
      let logDirectory = makeTemporaryDirectory("swetcd-watch")
      defer { try? FileManager.default.removeItem(atPath: logDirectory) }
      let log = logDirectory + "/watch.log"
      let watch = try ChildProcess.startLogged(
        etcdctl, ["--endpoints=\(endpoint)", "watch", "--prefix", "w/", "--rev=2", "--prev-kv"], logPath: log,
        environment: ["ETCDCTL_API": "3"])
      defer { watch.stop() }
      // History first (the put at revision 2), then a live put and a delete, each after its previous value (etcdctl
      // prints prev_kv before the event's key-value).
      let sawHistory = try await offPool { watch.waitForOutput(containing: "PUT\nw/a\nold\n", timeout: 20) }
      #expect(sawHistory, "\(watch.output)")
      _ = try await Self.etcdctl(endpoint, "put", "w/a", "new")
      _ = try await Self.etcdctl(endpoint, "del", "w/a")
      let sawLive = try await offPool { watch.waitForOutput(containing: "DELETE\nw/a\nnew\nw/a\n", timeout: 20) }
      #expect(sawLive, "\(watch.output)")
      #expect(watch.output.contains("PUT\nw/a\nold\nw/a\nnew\n"), "\(watch.output)")
      await watch.stopped()
    }
  }

  @Test func etcdctlLockIsExclusiveAndPassesToTheNextWaiter() async throws {
    try await Self.withServer { (endpoint: String, _: EtcdServer) async throws in
      let etcdctl = try #require(ChildProcess.which("etcdctl"))
      let logDirectory = makeTemporaryDirectory("swetcd-lock")
      defer { try? FileManager.default.removeItem(atPath: logDirectory) }
      // `etcdctl lock NAME` prints the lock key and holds the lock until it is stopped.
      let first = try ChildProcess.startLogged(
        etcdctl, ["--endpoints=\(endpoint)", "lock", "mutex"], logPath: logDirectory + "/first.log",
        environment: ["ETCDCTL_API": "3"])
      defer { first.stop() }
      #expect(try await offPool { first.waitForOutput(containing: "mutex/", timeout: 20) }, "\(first.output)")
      let second = try ChildProcess.startLogged(
        etcdctl, ["--endpoints=\(endpoint)", "lock", "mutex"], logPath: logDirectory + "/second.log",
        environment: ["ETCDCTL_API": "3"])
      defer { second.stop() }
      // The second waits while the first holds the lock (the holder's key is the only one with a lower revision).
      var keys: [Substring] = []
      for _ in 0..<200 where keys.count < 2 {
        keys = try await Self.etcdctl(endpoint, "get", "--prefix", "mutex/", "--keys-only").stdout.split(separator: "\n")
        if keys.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
      }
      #expect(keys.count == 2, "the second waiter's key never appeared: \(keys)")
      #expect(!second.output.contains("mutex/"), "the second got the lock while the first held it")
      await first.stopped()
      #expect(try await offPool { second.waitForOutput(containing: "mutex/", timeout: 20) }, "\(second.output)")
      await second.stopped()
    }
  }

  @Test func etcdctlElectCampaignsAndObserveSeesTheLeader() async throws {
    try await Self.withServer { (endpoint: String, _: EtcdServer) async throws in
      let etcdctl = try #require(ChildProcess.which("etcdctl"))
      let logDirectory = makeTemporaryDirectory("swetcd-elect")
      defer { try? FileManager.default.removeItem(atPath: logDirectory) }
      let candidate = try ChildProcess.startLogged(
        etcdctl, ["--endpoints=\(endpoint)", "elect", "boss", "alice"], logPath: logDirectory + "/candidate.log",
        environment: ["ETCDCTL_API": "3"])
      defer { candidate.stop() }
      #expect(try await offPool { candidate.waitForOutput(containing: "alice", timeout: 20) }, "\(candidate.output)")
      let observer = try ChildProcess.startLogged(
        etcdctl, ["--endpoints=\(endpoint)", "elect", "-l", "boss"], logPath: logDirectory + "/observer.log",
        environment: ["ETCDCTL_API": "3"])
      defer { observer.stop() }
      #expect(try await offPool { observer.waitForOutput(containing: "alice", timeout: 20) }, "\(observer.output)")
      await observer.stopped()
      await candidate.stopped()
    }
  }
}
