/// One etcd command-line flag: its name, whether it is a Go boolean flag, and how a value text is applied.
struct FlagSpec: Sendable {
  typealias Setter = @Sendable (inout ConfigurationDraft, String) throws(GoValueParsing.Rejection) -> Void
  let name: String
  let isBool: Bool
  /// Flags etcd keeps only to warn that they are no longer supported.
  let isIgnored: Bool
  let set: Setter

  init(_ name: String, isBool: Bool = false, isIgnored: Bool = false, set: @escaping Setter) {
    self.name = name
    self.isBool = isBool
    self.isIgnored = isIgnored
    self.set = set
  }

  /// The ETCD_* variable that corresponds to this flag (etcd's `flags.FlagToEnv`).
  var environmentName: String { "ETCD_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
}

/// The flags of etcd 3.4.23 (every name `etcd --help` lists, plus the hidden ones the binary accepts), keyed by
/// name. `config-file` and `version` are handled by the loader itself.
enum FlagTable {
  typealias P = GoValueParsing

  static let byName: [String: FlagSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  /// etcd registers these so old command lines keep working; setting one logs a warning.
  static let ignoredNames = [
    "cluster-active-size", "cluster-remove-delay", "cluster-sync-interval", "config", "force", "max-result-buffer",
    "max-retry-attempts", "peer-heartbeat-interval", "peer-election-timeout", "retry-interval", "snapshot", "v", "vv",
    "test.coverprofile", "test.outputdir",
  ]

  static let all: [FlagSpec] = member + clustering + security + loggingAndAuth + proxyAndExperimental + special
    + ignoredNames.map { FlagSpec($0, isBool: true, isIgnored: true) { _, _ in } }

  // MARK: Value kinds

  static func string(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, String) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text in apply(&draft, text) }
  }
  static func bool(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, Bool) -> Void) -> FlagSpec {
    FlagSpec(name, isBool: true) { draft, text throws(P.Rejection) in apply(&draft, try P.bool(text)) }
  }
  /// A Go `uint` flag (64-bit).
  static func unsigned(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, UInt64) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in apply(&draft, try P.unsigned(text)) }
  }
  static func signed(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, Int64) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in apply(&draft, try P.signed(text)) }
  }
  /// A Go `uint` flag counting milliseconds.
  static func milliseconds(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, Duration) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in
      let value = try P.unsigned(text)
      apply(&draft, .milliseconds(Int64(clamping: value)))
    }
  }
  /// A Go `time.Duration` flag ("5s", "2h").
  static func duration(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, Duration) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in
      do { apply(&draft, try P.duration(text)) } catch { throw .parse }
    }
  }
  /// etcd's `SelectiveStringValue`: one of a fixed set, else "invalid value".
  static func choice<E: RawRepresentable<String> & Sendable>(
    _ name: String, _ type: E.Type, _ apply: @escaping @Sendable (inout ConfigurationDraft, E) -> Void
  ) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in
      guard let value = E(rawValue: text) else { throw P.Rejection(reason: "invalid value") }
      apply(&draft, value)
    }
  }
  /// etcd's `UniqueURLsWithExceptions(default, "")`: a comma-separated URL list replacing the old one; an empty text
  /// leaves the value as it was.
  static func urls(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, [ConfigURL]) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text throws(P.Rejection) in
      if text.isEmpty { return }
      apply(&draft, try ConfigURL.parseList(text))
    }
  }
  /// etcd's `UniqueStringsValue`: comma-separated, de-duplicated, sorted.
  static func uniqueStrings(_ name: String, _ apply: @escaping @Sendable (inout ConfigurationDraft, [String]) -> Void) -> FlagSpec {
    FlagSpec(name) { draft, text in
      apply(&draft, Set(text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)).sorted())
    }
  }

  // MARK: The flags

  static let member: [FlagSpec] = [
    string("name") { $0.config.name = $1 },
    string("data-dir") { $0.config.dataDir = $1 },
    string("wal-dir") { $0.config.walDir = $1 },
    unsigned("snapshot-count") { $0.config.snapshotCount = $1 },
    milliseconds("heartbeat-interval") { $0.config.heartbeatInterval = $1 },
    milliseconds("election-timeout") { $0.config.electionTimeout = $1 },
    bool("initial-election-tick-advance") { $0.config.initialElectionTickAdvance = $1 },
    urls("listen-peer-urls") { $0.config.listenPeerURLs = $1 },
    urls("listen-client-urls") { $0.config.listenClientURLs = $1 },
    urls("listen-metrics-urls") { $0.config.listenMetricsURLs = $1 },
    unsigned("max-snapshots") { $0.config.maxSnapshots = $1 },
    unsigned("max-wals") { $0.config.maxWALs = $1 },
    signed("quota-backend-bytes") { $0.config.quotaBackendBytes = $1 },
    duration("backend-batch-interval") { $0.config.backendBatchInterval = $1 },
    signed("backend-batch-limit") { $0.config.backendBatchLimit = $1 },
    unsigned("max-txn-ops") { $0.config.maxTxnOps = $1 },
    unsigned("max-request-bytes") { $0.config.maxRequestBytes = $1 },
    maxConcurrentStreams,
    duration("grpc-keepalive-min-time") { $0.config.grpcKeepaliveMinTime = $1 },
    duration("grpc-keepalive-interval") { $0.config.grpcKeepaliveInterval = $1 },
    duration("grpc-keepalive-timeout") { $0.config.grpcKeepaliveTimeout = $1 },
  ]

  static let clustering: [FlagSpec] = [
    urls("initial-advertise-peer-urls") { $0.config.initialAdvertisePeerURLs = $1 },
    string("initial-cluster") { $0.config.initialCluster = $1 },
    choice("initial-cluster-state", ServerConfiguration.ClusterState.self) { $0.config.initialClusterState = $1 },
    string("initial-cluster-token") { $0.config.initialClusterToken = $1 },
    urls("advertise-client-urls") { $0.config.advertiseClientURLs = $1 },
    string("discovery") { $0.config.discovery = $1 },
    choice("discovery-fallback", ServerConfiguration.DiscoveryFallback.self) { $0.config.discoveryFallback = $1 },
    string("discovery-proxy") { $0.config.discoveryProxy = $1 },
    string("discovery-srv") { $0.config.discoverySRV = $1 },
    string("discovery-srv-name") { $0.config.discoverySRVName = $1 },
    bool("strict-reconfig-check") { $0.config.strictReconfigCheck = $1 },
    bool("pre-vote") { $0.config.preVote = $1 },
    string("auto-compaction-retention") { $0.config.autoCompactionRetention = $1 },
    // A plain string flag in etcd: a bad mode is reported by validation ("unknown auto-compaction-mode").
    string("auto-compaction-mode") { $0.autoCompactionMode = $1 },
    bool("enable-v2") { $0.config.enableV2 = $1 },
  ]

  static let security: [FlagSpec] = [
    string("cert-file") { $0.config.clientTLS.certFile = $1 },
    string("key-file") { $0.config.clientTLS.keyFile = $1 },
    bool("client-cert-auth") { $0.config.clientTLS.clientCertAuth = $1 },
    string("client-crl-file") { $0.config.clientTLS.crlFile = $1 },
    string("client-cert-allowed-hostname") { $0.config.clientTLS.allowedHostname = $1 },
    string("trusted-ca-file") { $0.config.clientTLS.trustedCAFile = $1 },
    bool("auto-tls") { $0.config.clientTLS.autoTLS = $1 },
    string("peer-cert-file") { $0.config.peerTLS.certFile = $1 },
    string("peer-key-file") { $0.config.peerTLS.keyFile = $1 },
    bool("peer-client-cert-auth") { $0.config.peerTLS.clientCertAuth = $1 },
    string("peer-trusted-ca-file") { $0.config.peerTLS.trustedCAFile = $1 },
    string("peer-cert-allowed-cn") { $0.config.peerCertAllowedCN = $1 },
    string("peer-cert-allowed-hostname") { $0.config.peerTLS.allowedHostname = $1 },
    bool("peer-auto-tls") { $0.config.peerTLS.autoTLS = $1 },
    string("peer-crl-file") { $0.config.peerTLS.crlFile = $1 },
    cipherSuites, cors,
    uniqueStrings("host-whitelist") { $0.config.hostWhitelist = $1 },
  ]

  static let loggingAndAuth: [FlagSpec] = [
    string("auth-token") { $0.config.authToken = $1 },
    authTokenTTL,
    unsigned("bcrypt-cost") { $0.config.bcryptCost = $1 },
    bool("enable-pprof") { $0.config.enablePprof = $1 },
    string("metrics") { $0.metrics = $1 },
    string("logger") { $0.logger = $1 },
    uniqueStrings("log-outputs") { $0.config.logOutputs = $1 },
    uniqueStrings("log-output") { $0.config.logOutputs = $1 },
    string("log-level") { $0.logLevel = $1 },
    bool("debug") { $0.config.debug = $1 },
    string("log-package-levels") { $0.config.logPackageLevels = $1 },
  ]

  static let proxyAndExperimental: [FlagSpec] = [
    choice("proxy", ServerConfiguration.ProxyMode.self) { $0.config.proxy = $1 },
    milliseconds("proxy-failure-wait") { $0.config.proxyFailureWait = $1 },
    milliseconds("proxy-refresh-interval") { $0.config.proxyRefreshInterval = $1 },
    milliseconds("proxy-dial-timeout") { $0.config.proxyDialTimeout = $1 },
    milliseconds("proxy-write-timeout") { $0.config.proxyWriteTimeout = $1 },
    milliseconds("proxy-read-timeout") { $0.config.proxyReadTimeout = $1 },
    bool("experimental-initial-corrupt-check") { $0.config.experimentalInitialCorruptCheck = $1 },
    duration("experimental-corrupt-check-time") { $0.config.experimentalCorruptCheckTime = $1 },
    string("experimental-enable-v2v3") { $0.config.experimentalEnableV2V3 = $1 },
    string("experimental-backend-bbolt-freelist-type") { $0.config.experimentalBackendBboltFreelistType = $1 },
    bool("experimental-enable-lease-checkpoint") { $0.config.experimentalEnableLeaseCheckpoint = $1 },
    signed("experimental-compaction-batch-limit") { $0.config.experimentalCompactionBatchLimit = $1 },
    bool("experimental-peer-skip-client-san-verification") { $0.config.experimentalPeerSkipClientSANVerification = $1 },
    duration("experimental-watch-progress-notify-interval") { $0.config.experimentalWatchProgressNotifyInterval = $1 },
    duration("experimental-warning-apply-duration") { $0.config.experimentalWarningApplyDuration = $1 },
    bool("force-new-cluster") { $0.config.forceNewCluster = $1 },
    bool("unsafe-no-fsync") { $0.config.unsafeNoFsync = $1 },
    bool("enable-grpc-gateway") { $0.config.enableGRPCGateway = $1 },
  ]

  /// Read by the loader before anything else; they change no setting.
  static let special: [FlagSpec] = [
    FlagSpec("config-file") { _, _ in },
    FlagSpec("version", isBool: true) { _, text throws(P.Rejection) in _ = try P.bool(text) },
  ]

  // MARK: Flags with their own value rules

  /// etcd's own Uint32Value, which reports strconv's error text.
  static let maxConcurrentStreams = FlagSpec("max-concurrent-streams") { draft, text throws(P.Rejection) in
    let value: UInt64
    do throws(P.Rejection) { value = try P.unsigned(text, bits: 32) } catch {
      let why = error == P.Rejection.range ? "value out of range" : "invalid syntax"
      throw P.Rejection(reason: "strconv.ParseUint: parsing \(goQuote(text)): \(why)")
    }
    draft.config.maxConcurrentStreams = UInt32(value)
  }

  /// etcd's StringsValue: comma-separated, order kept.
  static let cipherSuites = FlagSpec("cipher-suites") { draft, text in
    draft.config.cipherSuites = text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }

  /// etcd's UniqueURLsWithExceptions("*", "*"): "*" or a URL list.
  static let cors = FlagSpec("cors") { draft, text throws(P.Rejection) in
    if text == "*" || text.isEmpty { draft.config.cors = ["*"]; return }
    let urls = try ConfigURL.parseList(text)
    draft.config.cors = urls.map(\.description)
  }

  /// A Go uint counting seconds.
  static let authTokenTTL = FlagSpec("auth-token-ttl") { draft, text throws(P.Rejection) in
    let seconds = try P.unsigned(text)
    draft.config.authTokenTTL = .seconds(Int64(clamping: seconds))
  }
}
