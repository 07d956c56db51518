import EtcdServer
import Foundation
import Testing
import TestSupport

/// The defaults of a configuration loaded from an empty command line, compared with `etcd --help` of 3.4.23.
@Suite struct ConfigurationDefaultsTests {
  /// Each flag's default as `etcd --help` prints it, and the check that our loaded default is that value.
  static let expectations: [(flag: String, help: String, holds: @Sendable (ServerConfiguration) -> Bool)] = [
    ("name", "'default'", { $0.name == "default" }),
    ("snapshot-count", "'100000'", { $0.snapshotCount == 100_000 }),
    ("heartbeat-interval", "'100'", { $0.heartbeatInterval == .milliseconds(100) }),
    ("election-timeout", "'1000'", { $0.electionTimeout == .milliseconds(1000) }),
    ("initial-election-tick-advance", "'true'", { $0.initialElectionTickAdvance }),
    ("listen-peer-urls", "'http://localhost:2380'", { $0.listenPeerURLs.map(\.description) == ["http://localhost:2380"] }),
    ("listen-client-urls", "'http://localhost:2379'", { $0.listenClientURLs.map(\.description) == ["http://localhost:2379"] }),
    ("max-snapshots", "'5'", { $0.maxSnapshots == 5 }),
    ("max-wals", "'5'", { $0.maxWALs == 5 }),
    ("quota-backend-bytes", "'0'", { $0.quotaBackendBytes == 0 && $0.effectiveQuotaBackendBytes == 2 << 30 }),
    ("backend-batch-interval", "''", { $0.backendBatchInterval == .zero }),
    ("backend-batch-limit", "'0'", { $0.backendBatchLimit == 0 }),
    ("max-txn-ops", "'128'", { $0.maxTxnOps == 128 }),
    ("max-request-bytes", "'1572864'", { $0.maxRequestBytes == 1_572_864 }),
    ("max-concurrent-streams", "'math.MaxUint32'", { $0.maxConcurrentStreams == UInt32.max }),
    ("grpc-keepalive-min-time", "'5s'", { $0.grpcKeepaliveMinTime == .seconds(5) }),
    ("grpc-keepalive-interval", "'2h'", { $0.grpcKeepaliveInterval == .seconds(7200) }),
    ("grpc-keepalive-timeout", "'20s'", { $0.grpcKeepaliveTimeout == .seconds(20) }),
    ("initial-advertise-peer-urls", "'http://localhost:2380'", { $0.initialAdvertisePeerURLs.map(\.description) == ["http://localhost:2380"] }),
    ("initial-cluster", "'default=http://localhost:2380'", { $0.initialCluster == "default=http://localhost:2380" }),
    ("initial-cluster-state", "'new'", { $0.initialClusterState == .new }),
    ("initial-cluster-token", "'etcd-cluster'", { $0.initialClusterToken == "etcd-cluster" }),
    ("advertise-client-urls", "'http://localhost:2379'", { $0.advertiseClientURLs.map(\.description) == ["http://localhost:2379"] }),
    ("discovery", "''", { $0.discovery.isEmpty }),
    ("discovery-fallback", "'proxy'", { $0.discoveryFallback == .proxy }),
    ("discovery-proxy", "''", { $0.discoveryProxy.isEmpty }),
    ("discovery-srv", "''", { $0.discoverySRV.isEmpty }),
    ("discovery-srv-name", "''", { $0.discoverySRVName.isEmpty }),
    ("strict-reconfig-check", "'true'", { $0.strictReconfigCheck }),
    ("pre-vote", "'false'", { !$0.preVote }),
    ("auto-compaction-retention", "'0'", { $0.autoCompactionRetention == "0" }),
    ("auto-compaction-mode", "'periodic'", { $0.autoCompactionMode == .periodic }),
    ("enable-v2", "'false'", { !$0.enableV2 }),
    ("cert-file", "''", { $0.clientTLS.certFile.isEmpty }),
    ("client-cert-auth", "'false'", { !$0.clientTLS.clientCertAuth }),
    ("auto-tls", "'false'", { !$0.clientTLS.autoTLS }),
    ("peer-client-cert-auth", "'false'", { !$0.peerTLS.clientCertAuth }),
    ("peer-auto-tls", "'false'", { !$0.peerTLS.autoTLS }),
    ("cipher-suites", "''", { $0.cipherSuites.isEmpty }),
    ("cors", "'*'", { $0.cors == ["*"] }),
    ("host-whitelist", "'*'", { $0.hostWhitelist == ["*"] }),
    ("auth-token", "'simple'", { $0.authToken == "simple" }),
    ("bcrypt-cost", "10", { $0.bcryptCost == 10 }),
    ("auth-token-ttl", "300", { $0.authTokenTTL == .seconds(300) }),
    ("metrics", "'basic'", { $0.metrics == .basic }),
    ("listen-metrics-urls", "''", { $0.listenMetricsURLs.isEmpty }),
    ("logger", "'capnslog'", { $0.logger == .capnslog }),
    ("log-outputs", "'default'", { $0.logOutputs == ["default"] }),
    ("log-level", "'info'", { $0.logLevel == .info }),
    ("proxy", "'off'", { $0.proxy == .off }),
    ("proxy-failure-wait", "5000", { $0.proxyFailureWait == .milliseconds(5000) }),
    ("proxy-refresh-interval", "30000", { $0.proxyRefreshInterval == .milliseconds(30000) }),
    ("experimental-compaction-batch-limit", "1000", { $0.experimentalCompactionBatchLimit == 1000 }),
    ("experimental-watch-progress-notify-interval", "'10m'", { $0.experimentalWatchProgressNotifyInterval == .seconds(600) }),
    ("experimental-warning-apply-duration", "'100ms'", { $0.experimentalWarningApplyDuration == .milliseconds(100) }),
    ("force-new-cluster", "'false'", { !$0.forceNewCluster }),
  ]

  @Test func defaultsEqualWhatEtcdHelpPrints() async throws {
    let loaded = try ServerConfiguration.load(arguments: [], environment: [:])
    let failing = Self.expectations.filter { !$0.holds(loaded.configuration) }.map(\.flag)
    #expect(failing.isEmpty, "defaults differ for \(failing)")
    let etcd = try #require(ChildProcess.which("etcd"), "the real etcd 3.4.23 is needed for this comparison")
    let help = try await ChildProcess.runDetached(etcd, ["--help"], timeout: 20)
    let text = help.stdout + help.stderr
    for expectation in Self.expectations {
      #expect(text.contains("  --\(expectation.flag) \(expectation.help)\n"), "etcd --help shows another default for --\(expectation.flag)")
    }
  }

  @Test func defaultsResolvedFromTheNameAsEtcdDoes() throws {
    let plain = try ServerConfiguration.load(arguments: [], environment: [:])
    #expect(plain.configuration.dataDir == "default.etcd")
    #expect(plain.warnings == ["no data-dir provided, using default data-dir ./default.etcd"])
    #expect(plain.configuration.walDirectory == "default.etcd/member/wal")

    let named = try ServerConfiguration.load(
      arguments: ["--name", "n1", "--initial-advertise-peer-urls", "http://127.0.0.1:2390,http://10.0.0.1:2390"],
      environment: [:])
    #expect(named.configuration.dataDir == "n1.etcd")
    // etcd lists every advertise URL (sorted) under the member's name.
    #expect(named.configuration.initialCluster == "n1=http://10.0.0.1:2390,n1=http://127.0.0.1:2390")

    let walApart = try ServerConfiguration.load(arguments: ["--data-dir=/d", "--wal-dir=/w"], environment: [:])
    #expect(walApart.configuration.walDirectory == "/w")
    #expect(walApart.warnings.isEmpty)
  }

  @Test func listenClientURLsWithoutAdvertiseIsRejectedAndDiscoveryDropsTheDefaultCluster() throws {
    #expect(throws: ConfigurationError.invalidFlags(
      "--advertise-client-urls is required when --listen-client-urls is set explicitly")) {
      try ServerConfiguration.load(arguments: ["--listen-client-urls=http://127.0.0.1:2379"], environment: [:])
    }
    let discovery = try ServerConfiguration.load(arguments: ["--discovery=https://discovery.etcd.io/abc"], environment: [:])
    #expect(discovery.configuration.initialCluster == "")
  }

  @Test func versionAndHelpAreReportedNotRun() throws {
    #expect(try ServerConfiguration.load(arguments: ["--version"], environment: [:]).action == .printVersion)
    #expect(try ServerConfiguration.load(arguments: ["-version=true"], environment: [:]).action == .printVersion)
    #expect(try ServerConfiguration.load(arguments: ["-h"], environment: [:]).action == .printHelp)
    #expect(try ServerConfiguration.load(arguments: ["--name=x", "--help"], environment: [:]).action == .printHelp)
    #expect(try ServerConfiguration.load(arguments: [], environment: [:]).action == .run)
  }
}
