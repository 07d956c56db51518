/// Every setting of an etcd 3.4 server, typed, with etcd 3.4.23's defaults (`etcd --help`).
///
/// Build one with ``load(arguments:environment:)`` (flags, ETCD_* variables or `--config-file`, then validation), or
/// start from ``init()`` (the defaults) in tests. Settings that default from others (data dir, initial cluster,
/// advertise URLs) are resolved by `load` the way etcd resolves them.
public struct ServerConfiguration: Sendable, Equatable {
  // MARK: Member
  /// --name: human-readable name for this member.
  public var name = "default"
  /// --data-dir: path to the data directory; etcd's default is "<name>.etcd" (resolved by `load`).
  public var dataDir = ""
  /// --wal-dir: dedicated WAL directory; empty means `<data-dir>/member/wal` (see ``walDirectory``).
  public var walDir = ""
  /// --snapshot-count: committed transactions that trigger a snapshot to disk.
  public var snapshotCount: UInt64 = 100_000
  /// --heartbeat-interval (milliseconds).
  public var heartbeatInterval: Duration = .milliseconds(100)
  /// --election-timeout (milliseconds).
  public var electionTimeout: Duration = .milliseconds(1000)
  /// --initial-election-tick-advance: fast-forward initial election ticks on boot.
  public var initialElectionTickAdvance = true
  /// --listen-peer-urls.
  public var listenPeerURLs = [ConfigURL(scheme: "http", host: "localhost", port: 2380)]
  /// --listen-client-urls.
  public var listenClientURLs = [ConfigURL(scheme: "http", host: "localhost", port: 2379)]
  /// --listen-metrics-urls: extra listeners for /metrics and /health only (none by default).
  public var listenMetricsURLs: [ConfigURL] = []
  /// --max-snapshots: snapshot files to retain (0 is unlimited).
  public var maxSnapshots: UInt64 = 5
  /// --max-wals: WAL files to retain (0 is unlimited).
  public var maxWALs: UInt64 = 5
  /// --quota-backend-bytes: backend size that raises the NOSPACE alarm; 0 means etcd's default (2 GiB), see
  /// ``effectiveQuotaBackendBytes``.
  public var quotaBackendBytes: Int64 = 0
  /// --backend-batch-limit: operations before the backend transaction commits (0: etcd's default).
  public var backendBatchLimit: Int64 = 0
  /// --backend-batch-interval: longest time before the backend transaction commits (zero: etcd's default).
  public var backendBatchInterval: Duration = .zero
  /// --max-txn-ops: operations permitted in one transaction.
  public var maxTxnOps: UInt64 = 128
  /// --max-request-bytes: largest client request accepted.
  public var maxRequestBytes: UInt64 = 1_572_864
  /// --max-concurrent-streams: concurrent gRPC streams per client connection.
  public var maxConcurrentStreams: UInt32 = .max
  /// --grpc-keepalive-min-time: shortest interval a client may ping at.
  public var grpcKeepaliveMinTime: Duration = .seconds(5)
  /// --grpc-keepalive-interval: server-to-client ping frequency (zero disables).
  public var grpcKeepaliveInterval: Duration = .seconds(7200)
  /// --grpc-keepalive-timeout: wait for a ping answer before closing (zero disables).
  public var grpcKeepaliveTimeout: Duration = .seconds(20)
  /// --cors: allowed CORS origins ("*" allows all).
  public var cors: [String] = ["*"]
  /// --host-whitelist: acceptable Host headers on insecure HTTP ("*" allows all).
  public var hostWhitelist: [String] = ["*"]

  // MARK: Clustering
  /// --initial-advertise-peer-urls.
  public var initialAdvertisePeerURLs = [ConfigURL(scheme: "http", host: "localhost", port: 2380)]
  /// --initial-cluster: "name=url,name=url" as given (see ``initialClusterMembers()``).
  public var initialCluster = "default=http://localhost:2380"
  /// --initial-cluster-state.
  public var initialClusterState: ClusterState = .new
  /// --initial-cluster-token.
  public var initialClusterToken = "etcd-cluster"
  /// --advertise-client-urls; empty when --listen-client-urls was set without it (an error unless proxying).
  public var advertiseClientURLs = [ConfigURL(scheme: "http", host: "localhost", port: 2379)]
  /// --discovery: discovery service URL.
  public var discovery = ""
  /// --discovery-fallback.
  public var discoveryFallback: DiscoveryFallback = .proxy
  /// --discovery-proxy: HTTP proxy for the discovery service.
  public var discoveryProxy = ""
  /// --discovery-srv: DNS SRV domain.
  public var discoverySRV = ""
  /// --discovery-srv-name: suffix to the SRV name.
  public var discoverySRVName = ""
  /// --strict-reconfig-check.
  public var strictReconfigCheck = true
  /// --pre-vote.
  public var preVote = false
  /// --auto-compaction-retention, as given ("0" disables; see ``compactionRetention()``).
  public var autoCompactionRetention = "0"
  /// --auto-compaction-mode.
  public var autoCompactionMode: AutoCompactionMode = .periodic
  /// --enable-v2.
  public var enableV2 = false

  // MARK: Security
  /// Client-facing TLS: --cert-file, --key-file, --client-cert-auth, --client-crl-file,
  /// --client-cert-allowed-hostname, --trusted-ca-file, --auto-tls.
  public var clientTLS = TLSSettings()
  /// Peer TLS: --peer-cert-file, --peer-key-file, --peer-client-cert-auth, --peer-crl-file,
  /// --peer-cert-allowed-hostname, --peer-trusted-ca-file, --peer-auto-tls.
  public var peerTLS = TLSSettings()
  /// --peer-cert-allowed-cn: required CN of peer client certificates.
  public var peerCertAllowedCN = ""
  /// --cipher-suites: Go names of the TLS cipher suites (empty: the defaults).
  public var cipherSuites: [String] = []

  // MARK: Auth
  /// --auth-token: "simple" or "jwt,pub-key=...,priv-key=...,sign-method=...".
  public var authToken = "simple"
  /// --auth-token-ttl: simple token lifetime.
  public var authTokenTTL: Duration = .seconds(300)
  /// --bcrypt-cost: 4...31 (etcd uses 10 instead of a value outside that range and logs a warning).
  public var bcryptCost: UInt64 = 10

  // MARK: Logging and monitoring
  /// --logger.
  public var logger: Logger = .capnslog
  /// --log-outputs ("default" is stderr).
  public var logOutputs = ["default"]
  /// --log-level.
  public var logLevel: LogLevel = .info
  /// --debug (deprecated: sets the log level to debug).
  public var debug = false
  /// --log-package-levels (deprecated, capnslog only).
  public var logPackageLevels = ""
  /// --metrics.
  public var metrics: MetricsLevel = .basic
  /// --enable-pprof.
  public var enablePprof = false

  // MARK: v2 proxy (to be deprecated in v4)
  /// --proxy.
  public var proxy: ProxyMode = .off
  /// --proxy-failure-wait, --proxy-refresh-interval, --proxy-dial-timeout, --proxy-write-timeout,
  /// --proxy-read-timeout (milliseconds in etcd's flags).
  public var proxyFailureWait: Duration = .milliseconds(5000)
  public var proxyRefreshInterval: Duration = .milliseconds(30000)
  public var proxyDialTimeout: Duration = .milliseconds(1000)
  public var proxyWriteTimeout: Duration = .milliseconds(5000)
  public var proxyReadTimeout: Duration = .zero

  // MARK: Experimental
  public var experimentalInitialCorruptCheck = false
  public var experimentalCorruptCheckTime: Duration = .zero
  public var experimentalEnableV2V3 = ""
  public var experimentalBackendBboltFreelistType = "array"
  public var experimentalEnableLeaseCheckpoint = false
  public var experimentalCompactionBatchLimit: Int64 = 1000
  public var experimentalPeerSkipClientSANVerification = false
  public var experimentalWatchProgressNotifyInterval: Duration = .seconds(600)
  public var experimentalWarningApplyDuration: Duration = .milliseconds(100)

  // MARK: Unsafe
  /// --force-new-cluster.
  public var forceNewCluster = false
  /// --unsafe-no-fsync.
  public var unsafeNoFsync = false
  /// --enable-grpc-gateway (hidden flag, on by default).
  public var enableGRPCGateway = true

  /// A configuration holding etcd's defaults.
  public init() {}

  /// The WAL directory: --wal-dir, or `<data-dir>/member/wal`.
  public var walDirectory: String { walDir.isEmpty ? dataDir + "/member/wal" : walDir }
  /// The snapshot directory: `<data-dir>/member/snap`.
  public var snapDirectory: String { dataDir + "/member/snap" }
  /// The backend quota in force: 2 GiB when --quota-backend-bytes is 0 (or negative).
  public var effectiveQuotaBackendBytes: Int64 { quotaBackendBytes <= 0 ? 2 * 1024 * 1024 * 1024 : quotaBackendBytes }
  /// Election timeout in heartbeat ticks (etcd: election-timeout / heartbeat-interval).
  public var electionTicks: Int { Int(electionTimeout / heartbeatInterval) }
  /// The log level in force (--debug forces debug).
  public var effectiveLogLevel: LogLevel { debug ? .debug : logLevel }
}

/// One side's TLS settings (client or peer).
public struct TLSSettings: Sendable, Equatable {
  public var certFile = ""
  public var keyFile = ""
  public var clientCertAuth = false
  public var crlFile = ""
  public var trustedCAFile = ""
  public var allowedHostname = ""
  public var autoTLS = false
  public init() {}
  /// Whether neither a certificate nor a key file was given (etcd's `TLSInfo.Empty`).
  public var isEmpty: Bool { certFile.isEmpty && keyFile.isEmpty }
}

extension ServerConfiguration {
  /// --initial-cluster-state values.
  public enum ClusterState: String, Sendable, CaseIterable { case new, existing }
  /// --discovery-fallback values.
  public enum DiscoveryFallback: String, Sendable, CaseIterable { case proxy, exit }
  /// --auto-compaction-mode values.
  public enum AutoCompactionMode: String, Sendable, CaseIterable { case periodic, revision }
  /// --metrics values (etcd treats anything but "extensive" as basic).
  public enum MetricsLevel: String, Sendable, CaseIterable { case basic, extensive }
  /// --logger values.
  public enum Logger: String, Sendable, CaseIterable { case zap, capnslog }
  /// --log-level values.
  public enum LogLevel: String, Sendable, CaseIterable { case debug, info, warn, error, dpanic, panic, fatal }
  /// --proxy values.
  public enum ProxyMode: String, Sendable, CaseIterable { case off, readonly, on }
}
