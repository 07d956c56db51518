import EtcdServer
import Testing

/// Settings that do not fit together, with etcd 3.4.23's messages (seen by running it with the same flags).
@Suite struct ValidationTests {
  func load(_ arguments: [String]) throws(ConfigurationError) -> ServerConfiguration {
    try ServerConfiguration.load(arguments: arguments + ["--data-dir=/tmp/unused"], environment: [:]).configuration
  }

  @Test(arguments: [
    (["--heartbeat-interval=100", "--election-timeout=200"],
     "--election-timeout[200ms] should be at least as 5 times as --heartbeat-interval[100ms]"),
    (["--election-timeout=60000"], "--election-timeout[60000ms] is too long, and should be set less than 50000ms"),
    (["--heartbeat-interval=0"], "--heartbeat-interval must be >0 (set to 0ms)"),
    (["--auto-compaction-mode=bad"], "unknown auto-compaction-mode \"bad\""),
    (["--logger=foo"], "unknown logger option \"foo\""),
    (["--logger=capnslog", "--log-outputs=stderr,stdout"],
     "--logger=capnslog supports only 1 value in '--log-outputs', got [\"stderr\" \"stdout\"]"),
    (["--logger=zap", "--log-outputs=default,stdout"], "multi logoutput for \"default\" is not supported yet"),
    (["--listen-client-urls=http://example.com:2379", "--advertise-client-urls=http://example.com:2379"],
     "expected IP in URL for binding (http://example.com:2379)"),
    (["--advertise-client-urls=http://:1"],
     "--advertise-client-urls \"http://:1\" must be \"host:port\" (unexpected empty host (http://:1))"),
    (["--discovery=http://x/y", "--initial-cluster=a=http://127.0.0.1:2380"],
     "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", \"discovery\" or \"discovery-srv\""),
  ])
  func contradictorySettingsGetEtcdsMessage(arguments: [String], message: String) {
    #expect(throws: ConfigurationError.invalidFlags(message)) { try load(arguments) }
  }

  @Test func unknownLogLevelNamesTheSettingAndTheFix() {
    // etcd 3.4.23 panics here ("unknown level"); we say what to set.
    #expect(throws: ConfigurationError.invalidSetting(
      name: "log-level", problem: "unknown level \"loud\"", fix: "use one of debug, info, warn, error, dpanic, panic, fatal")) {
      try load(["--log-level=loud"])
    }
    #expect(ConfigurationError.invalidSetting(name: "log-level", problem: "p", fix: "f").description == "--log-level: p; f")
  }

  @Test func bcryptCostOutsideItsRangeFallsBackToTheDefaultWithAWarning() throws {
    let loaded = try ServerConfiguration.load(arguments: ["--bcrypt-cost=100", "--data-dir=/d"], environment: [:])
    #expect(loaded.configuration.bcryptCost == 10)
    #expect(loaded.warnings.count == 1)
  }

  @Test(arguments: [
    (["--initial-advertise-peer-urls=http://127.0.0.1:2380", "--initial-cluster=default=http://127.0.0.1:9999"],
     "--initial-cluster has default=http://127.0.0.1:9999 but missing from --initial-advertise-peer-urls=http://127.0.0.1:2380 "
       + "(resolved urls: \"http://127.0.0.1:2380\" != \"http://127.0.0.1:9999\")"),
    (["--initial-advertise-peer-urls=http://127.0.0.1:2380",
      "--initial-cluster=default=http://127.0.0.1:2380,default=http://127.0.0.1:1"],
     "--initial-cluster has default=http://127.0.0.1:1 but missing from "
       + "--initial-advertise-peer-urls=http://127.0.0.1:2380 "
       + "(len([\"http://127.0.0.1:2380\"]) != len([\"http://127.0.0.1:1\" \"http://127.0.0.1:2380\"]))"),
    (["--initial-cluster=other=http://localhost:2380"], "couldn't find local name \"default\" in the initial cluster configuration"),
    (["--initial-cluster=default=http://localhost:2380,b=http://localhost:2380"],
     "initial cluster b=http://localhost:2380,default=http://localhost:2380 has duplicate url"),
    (["--initial-cluster=garbage"], "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: "),
    (["--listen-client-urls=https://127.0.0.1:2379", "--advertise-client-urls=https://127.0.0.1:2379"],
     "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme"),
    (["--listen-peer-urls=https://127.0.0.1:2380"],
     "cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented"),
    (["--cipher-suites=BAD"], "unexpected TLS cipher suite \"BAD\""),
    (["--auto-compaction-retention=abc"], "error parsing CompactionRetention: time: invalid duration \"abc\""),
  ])
  func startupChecksGetEtcdsMessage(arguments: [String], message: String) throws {
    let config = try load(arguments)
    #expect(throws: ConfigurationError.startup(message)) { try config.verifyStartup(memberInitialized: false) }
  }

  @Test func startupChecksPassForMatchingSettingsAndSkipTheClusterOnceInitialized() throws {
    try load([]).verifyStartup(memberInitialized: false)
    // "localhost" resolves to 127.0.0.1 when advertise URLs are compared with the initial cluster.
    try load(["--initial-advertise-peer-urls=http://localhost:2380", "--initial-cluster=default=http://127.0.0.1:2380"])
      .verifyStartup(memberInitialized: false)
    try load(["--auto-tls", "--listen-client-urls=https://127.0.0.1:2379", "--advertise-client-urls=https://127.0.0.1:2379"])
      .verifyStartup(memberInitialized: false)
    try load(["--initial-cluster=other=http://localhost:2380"]).verifyStartup(memberInitialized: true)
  }

  @Test func compactionRetentionReadsAsEtcdReadsIt() throws {
    #expect(try load([]).compactionRetention() == .disabled)
    #expect(try load(["--auto-compaction-retention=5"]).compactionRetention() == .period(.seconds(5 * 3600)))
    #expect(try load(["--auto-compaction-retention=30m"]).compactionRetention() == .period(.seconds(1800)))
    #expect(try load(["--auto-compaction-mode=revision", "--auto-compaction-retention=1000"]).compactionRetention()
      == .revisions(1000))
  }
}
