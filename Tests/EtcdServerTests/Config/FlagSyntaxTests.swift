import EtcdServer
import Testing

/// Go flag syntax as etcd accepts it, and the messages of Go's flag package for what it rejects.
@Suite struct FlagSyntaxTests {
  func load(_ arguments: [String]) throws(ConfigurationError) -> ServerConfiguration {
    try ServerConfiguration.load(arguments: arguments, environment: [:]).configuration
  }

  @Test func singleAndDoubleDashWithEqualsOrSeparateValue() throws {
    #expect(try load(["-name=a"]).name == "a")
    #expect(try load(["--name=b"]).name == "b")
    #expect(try load(["-name", "c"]).name == "c")
    #expect(try load(["--name", "d"]).name == "d")
    #expect(try load(["--name="]).name == "")
    #expect(try load(["--initial-cluster-token", "-looks-like-a-flag"]).initialClusterToken == "-looks-like-a-flag")
  }

  @Test func booleansBareOrWithGoBoolSpellings() throws {
    #expect(try load(["--pre-vote"]).preVote)
    #expect(try load(["-pre-vote=true"]).preVote)
    #expect(try load(["-pre-vote=T"]).preVote)
    #expect(try load(["-pre-vote=1"]).preVote)
    #expect(try !load(["--strict-reconfig-check=false"]).strictReconfigCheck)
    #expect(try !load(["--strict-reconfig-check=0"]).strictReconfigCheck)
    #expect(throws: ConfigurationError.flagSyntax(
      "invalid boolean value \"maybe\" for -strict-reconfig-check: parse error")) { try load(["--strict-reconfig-check=maybe"]) }
    // A separate word after a boolean flag is not its value: it ends the flags, and etcd rejects it.
    #expect(throws: ConfigurationError.invalidFlags("'false' is not a valid flag")) { try load(["--force-new-cluster", "false"]) }
  }

  @Test func repeatedSettingsLastOneWins() throws {
    let config = try load(["--name=a", "--name=b", "--heartbeat-interval=50", "--heartbeat-interval", "150",
                           "--election-timeout=1500"])
    #expect(config.name == "b")
    #expect(config.heartbeatInterval == .milliseconds(150))
    #expect(try load(["--log-outputs=stdout", "--log-outputs=stderr"]).logOutputs == ["stderr"])
  }

  @Test func typedValuesParseLikeGo() throws {
    let config = try load([
      "--snapshot-count=0x10", "--max-txn-ops=1_000", "--quota-backend-bytes=-1", "--backend-batch-interval=1.5s",
      "--grpc-keepalive-interval=1h30m", "--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA",
      "--listen-client-urls=https://127.0.0.1:2379,http://[::1]:2379", "--advertise-client-urls=https://127.0.0.1:2379",
      "--host-whitelist=b,a,b", "--cors=http://x.example:80", "--auth-token-ttl=60", "--initial-cluster-state=existing",
    ])
    #expect(config.snapshotCount == 16)
    #expect(config.maxTxnOps == 1000)
    #expect(config.quotaBackendBytes == -1)
    #expect(config.backendBatchInterval == .milliseconds(1500))
    #expect(config.grpcKeepaliveInterval == .seconds(5400))
    #expect(config.cipherSuites == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"])
    // etcd sorts URL lists by their text.
    #expect(config.listenClientURLs == [ConfigURL(scheme: "http", host: "::1", port: 2379),
                                        ConfigURL(scheme: "https", host: "127.0.0.1", port: 2379)])
    #expect(config.listenClientURLs[0].description == "http://[::1]:2379")
    #expect(config.hostWhitelist == ["a", "b"])
    #expect(config.cors == ["http://x.example:80"])
    #expect(config.authTokenTTL == .seconds(60))
    #expect(config.initialClusterState == .existing)
  }

  /// Each message below is what etcd 3.4.23 printed for the same command line (exit status 2, then its usage).
  @Test(arguments: [
    (["--bogus"], "flag provided but not defined: -bogus"),
    (["-bogus=1"], "flag provided but not defined: -bogus"),
    (["--name"], "flag needs an argument: -name"),
    (["---name=x"], "bad flag syntax: ---name=x"),
    (["--heartbeat-interval=abc"], "invalid value \"abc\" for flag -heartbeat-interval: parse error"),
    (["--heartbeat-interval=+5"], "invalid value \"+5\" for flag -heartbeat-interval: parse error"),
    (["--snapshot-count=-1"], "invalid value \"-1\" for flag -snapshot-count: parse error"),
    (["--max-wals=99999999999999999999"], "invalid value \"99999999999999999999\" for flag -max-wals: value out of range"),
    (["--initial-cluster-state=foo"], "invalid value \"foo\" for flag -initial-cluster-state: invalid value"),
    (["--discovery-fallback=foo"], "invalid value \"foo\" for flag -discovery-fallback: invalid value"),
    (["--proxy=bad"], "invalid value \"bad\" for flag -proxy: invalid value"),
    (["--initial-election-tick-advance=no"], "invalid boolean value \"no\" for -initial-election-tick-advance: parse error"),
    (["--backend-batch-interval=5"], "invalid value \"5\" for flag -backend-batch-interval: parse error"),
    (["--max-concurrent-streams=abc"], "invalid value \"abc\" for flag -max-concurrent-streams: strconv.ParseUint: parsing \"abc\": invalid syntax"),
    (["--max-concurrent-streams=99999999999"], "invalid value \"99999999999\" for flag -max-concurrent-streams: strconv.ParseUint: parsing \"99999999999\": value out of range"),
    (["--listen-client-urls=foo"], "invalid value \"foo\" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: foo"),
    (["--listen-client-urls=http://127.0.0.1"], "invalid value \"http://127.0.0.1\" for flag -listen-client-urls: URL address does not have the form \"host:port\": http://127.0.0.1"),
    (["--listen-client-urls=127.0.0.1:1"], "invalid value \"127.0.0.1:1\" for flag -listen-client-urls: parse \"127.0.0.1:1\": first path segment in URL cannot contain colon"),
    (["--listen-client-urls=localhost:1"], "invalid value \"localhost:1\" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: localhost:1"),
    (["--listen-client-urls=http://[::1"], "invalid value \"http://[::1\" for flag -listen-client-urls: parse \"http://[::1\": missing ']' in host"),
    (["--listen-client-urls=http://127.0.0.1:1/path"], "invalid value \"http://127.0.0.1:1/path\" for flag -listen-client-urls: URL must not contain a path: http://127.0.0.1:1/path"),
    (["--listen-client-urls=http://127.0.0.1:abc"], "invalid value \"http://127.0.0.1:abc\" for flag -listen-client-urls: parse \"http://127.0.0.1:abc\": invalid port \":abc\" after host"),
    (["--cors=foo"], "invalid value \"foo\" for flag -cors: URL scheme must be http, https, unix, or unixs: foo"),
  ])
  func goFlagErrorsCarryGoFlagMessages(arguments: [String], message: String) {
    #expect(throws: ConfigurationError.flagSyntax(message)) { try load(arguments) }
    #expect(ConfigurationError.flagSyntax(message).exitStatus == 2)
  }

  @Test func strayArgumentsAndDoubleDashEndTheFlags() {
    #expect(throws: ConfigurationError.invalidFlags("'extra' is not a valid flag")) { try load(["extra"]) }
    #expect(throws: ConfigurationError.invalidFlags("'--name=x' is not a valid flag")) { try load(["--", "--name=x"]) }
  }

  @Test func retiredFlagsAreAcceptedWithEtcdsWarning() throws {
    let loaded = try ServerConfiguration.load(arguments: ["-v", "--data-dir=/d"], environment: [:])
    #expect(loaded.warnings == ["flag \"-v\" is no longer supported - ignoring."])
  }
}
