extension ServerConfiguration {
  /// etcd's default --initial-cluster; replaced from --name and the advertise URLs when left as is.
  static let defaultInitialCluster = "default=http://localhost:2380"

  /// Loads the configuration the way etcd 3.4 does: Go flag syntax (`-flag`, `--flag`, `-flag=value`,
  /// `-flag value`, bare booleans, last one wins), then ETCD_<FLAG> variables for flags not given, or, when
  /// `--config-file` / ETCD_CONFIG_FILE names a YAML file, that file alone (other flags and variables ignored); then
  /// defaults that depend on other settings, then validation.
  ///
  /// - Parameters:
  ///   - arguments: the command-line arguments without the program name.
  ///   - environment: the process environment.
  /// - Throws: ``ConfigurationError`` with etcd's message where etcd has one.
  public static func load(
    arguments: [String], environment: [String: String]
  ) throws(ConfigurationError) -> LoadedConfiguration {
    var draft = ConfigurationDraft()
    let parsed = try CommandLineParser.parse(arguments, into: &draft)
    if parsed.help {
      return LoadedConfiguration(configuration: ServerConfiguration(), messages: [], action: .printHelp, configFile: nil)
    }
    if let stray = parsed.remaining.first { throw .invalidFlags("'\(stray)' is not a valid flag") }
    if parsed.version {
      return LoadedConfiguration(configuration: ServerConfiguration(), messages: [], action: .printVersion, configFile: nil)
    }
    var configFile = parsed.configFile ?? ""
    if configFile.isEmpty { configFile = environment["ETCD_CONFIG_FILE"] ?? "" }
    if !configFile.isEmpty {
      draft = ConfigurationDraft()
      draft.info("Loading server configuration from \(goQuote(configFile)). Other configuration command line flags and "
        + "environment variables will be ignored if provided.")
      try ConfigFileReader.read(path: configFile, into: &draft)
    } else {
      try CommandLineParser.applyEnvironment(environment, to: &draft)
      draft.resolveCommandLineDefaults()
    }
    try draft.validate()
    draft.resolveStartDefaults()
    return LoadedConfiguration(
      configuration: draft.config, messages: draft.messages, action: .run,
      configFile: configFile.isEmpty ? nil : configFile)
  }
}

extension ConfigurationDraft {
  /// What etcd's `configFromCmdLine` does after reading flags and variables.
  mutating func resolveCommandLineDefaults() {
    let mayBeProxy = config.proxy != .off || (!config.discovery.isEmpty && config.discoveryFallback == .proxy)
    if setFlags.contains("listen-client-urls") && !setFlags.contains("advertise-client-urls") && !mayBeProxy {
      config.advertiseClientURLs = []
    }
    let discovers = !config.discovery.isEmpty || !config.discoverySRV.isEmpty || !config.discoverySRVName.isEmpty
    if discovers && !setFlags.contains("initial-cluster") { config.initialCluster = "" }
  }

  /// What etcd's `startEtcdOrProxyV2` does before starting: the data dir from the name, the initial cluster from
  /// the name and advertise URLs when only --name was changed.
  mutating func resolveStartDefaults() {
    if config.dataDir.isEmpty {
      config.dataDir = "\(config.name).etcd"
      warn("no data-dir provided, using default data-dir ./\(config.dataDir)")
    }
    if config.name != "default" && config.initialCluster == ServerConfiguration.defaultInitialCluster {
      config.initialCluster = config.initialAdvertisePeerURLs.map { "\(config.name)=\($0)" }.joined(separator: ",")
    }
    if !(4...31).contains(config.bcryptCost) {
      warn("use default bcrypt cost instead of the invalid given cost (given-cost: \(config.bcryptCost), default: 10)")
      config.bcryptCost = 10
    }
    if config.quotaBackendBytes > 8 * 1024 * 1024 * 1024 {
      warn("backend quota \(config.quotaBackendBytes) exceeds maximum recommended quota \(8 * 1024 * 1024 * 1024)")
    }
  }
}
