extension ConfigurationDraft {
  /// etcd's `embed.Config.Validate` (plus etcdmain's proxy allowance), in etcd's order, with etcd's messages; turns
  /// the free-string settings into their typed form.
  mutating func validate() throws(ConfigurationError) {
    try validateLogging()
    for urls in [config.listenPeerURLs, config.listenClientURLs, config.listenMetricsURLs] {
      for url in urls where url.scheme != "unix" && url.scheme != "unixs" {
        if url.host != "localhost" && !url.hostIsIPAddress {
          throw .invalidFlags("expected IP in URL for binding (\(url))")
        }
      }
    }
    for (flag, urls) in [("initial-advertise-peer-urls", config.initialAdvertisePeerURLs),
                         ("advertise-client-urls", config.advertiseClientURLs)] {
      if let bad = urls.first(where: { $0.host.isEmpty }) {
        let joined = urls.map(\.description).joined(separator: ",")
        throw .invalidFlags("--\(flag) \(goQuote(joined)) must be \"host:port\" (unexpected empty host (\(bad)))")
      }
    }
    if let state = clusterState {
      let effective = state.isEmpty ? "new" : state
      guard let parsed = ServerConfiguration.ClusterState(rawValue: effective) else {
        throw .invalidFlags("unexpected clusterState \(goQuote(state))")
      }
      config.initialClusterState = parsed
    }
    let bootstrapSettings = [!config.discovery.isEmpty, !config.initialCluster.isEmpty, !config.discoverySRV.isEmpty]
    if bootstrapSettings.filter({ $0 }).count > 1 {
      throw .invalidFlags("multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
        + "\"discovery\" or \"discovery-srv\"")
    }
    let tick = config.heartbeatInterval.milliseconds, election = config.electionTimeout.milliseconds
    if tick <= 0 { throw .invalidFlags("--heartbeat-interval must be >0 (set to \(tick)ms)") }
    if election <= 0 { throw .invalidFlags("--election-timeout must be >0 (set to \(election)ms)") }
    if 5 * tick > election {
      throw .invalidFlags("--election-timeout[\(election)ms] should be at least as 5 times as --heartbeat-interval[\(tick)ms]")
    }
    if election > 50000 {
      throw .invalidFlags("--election-timeout[\(election)ms] is too long, and should be set less than 50000ms")
    }
    let mayBeProxy = config.proxy != .off || (!config.discovery.isEmpty && config.discoveryFallback == .proxy)
    if !config.listenClientURLs.isEmpty && config.advertiseClientURLs.isEmpty && !mayBeProxy {
      throw .invalidFlags("--advertise-client-urls is required when --listen-client-urls is set explicitly")
    }
    if autoCompactionMode.isEmpty {
      config.autoCompactionMode = .periodic
    } else if let mode = ServerConfiguration.AutoCompactionMode(rawValue: autoCompactionMode) {
      config.autoCompactionMode = mode
    } else {
      throw .invalidFlags("unknown auto-compaction-mode \(goQuote(autoCompactionMode))")
    }
    if let level = ServerConfiguration.MetricsLevel(rawValue: metrics) {
      config.metrics = level
    } else {
      // etcd accepts any text and serves basic metrics for it.
      warn("--metrics \(goQuote(metrics)) is not 'basic' or 'extensive'; using 'basic'")
      config.metrics = .basic
    }
  }

  private mutating func validateLogging() throws(ConfigurationError) {
    guard let kind = ServerConfiguration.Logger(rawValue: logger) else {
      throw .invalidFlags("unknown logger option \(goQuote(logger))")
    }
    config.logger = kind
    let outputs = config.logOutputs
    switch kind {
    case .capnslog:
      if outputs.count != 1 {
        throw .invalidFlags("--logger=capnslog supports only 1 value in '--log-outputs', got \(goQuote(outputs))")
      }
    case .zap:
      if outputs.count > 1 && outputs.contains("default") {
        throw .invalidFlags("multi logoutput for \"default\" is not supported yet")
      }
    }
    // etcd 3.4 panics on an unknown level; say what is accepted instead.
    guard let level = ServerConfiguration.LogLevel(rawValue: logLevel) else {
      let accepted = ServerConfiguration.LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
      throw .invalidSetting(name: "log-level", problem: "unknown level \(goQuote(logLevel))",
                            fix: "use one of \(accepted)")
    }
    config.logLevel = level
  }
}

extension Duration {
  /// Whole milliseconds (the unit of etcd's --heartbeat-interval and --election-timeout).
  var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}
