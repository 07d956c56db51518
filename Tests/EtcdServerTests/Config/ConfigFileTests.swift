import EtcdServer
import Foundation
import Testing
import TestSupport

/// `--config-file` YAML: keys are flag names, TLS sits in two blocks, and flags and variables are then ignored.
@Suite struct ConfigFileTests {
  @discardableResult
  func withFile<T>(_ yaml: String, _ body: (String) throws -> T) throws -> T {
    let dir = makeTemporaryDirectory("swetcd-config")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/etcd.yml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return try body(path)
  }

  static let fullFile = """
    name: infra1
    data-dir: /var/lib/etcd/infra1
    heartbeat-interval: 50
    election-timeout: 500
    snapshot-count: 5000
    listen-peer-urls: https://10.0.0.1:2380
    listen-client-urls: https://10.0.0.1:2379,https://127.0.0.1:2379
    advertise-client-urls: https://10.0.0.1:2379
    initial-advertise-peer-urls: https://10.0.0.1:2380
    initial-cluster: infra1=https://10.0.0.1:2380,infra2=https://10.0.0.2:2380
    initial-cluster-state: existing
    initial-cluster-token: tok
    grpc-keepalive-min-time: 10000000000
    quota-backend-bytes: 4294967296
    auto-compaction-mode: revision
    auto-compaction-retention: "1000"
    logger: zap
    log-outputs: [stderr]
    log-level: debug
    cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
    metrics: extensive
    pre-vote: true
    enable-v2: yes
    unknown-key: ignored like etcd does
    client-transport-security:
      cert-file: /etc/etcd/server.crt
      key-file: /etc/etcd/server.key
      client-cert-auth: true
      trusted-ca-file: /etc/etcd/ca.crt
    peer-transport-security:
      cert-file: /etc/etcd/peer.crt
      key-file: /etc/etcd/peer.key
      auto-tls: false
      client-cert-auth: true
      trusted-ca-file: /etc/etcd/ca.crt
    """

  @Test func fileWithTLSBlocksSetsEverySettingAndIgnoresFlagsAndVariables() throws {
    let loaded = try withFile(Self.fullFile) { path in
      try ServerConfiguration.load(arguments: ["--config-file", path, "--name=ignored"],
                                   environment: ["ETCD_NAME": "ignored-too", "ETCD_FOO": "no warning either"])
    }
    let config = loaded.configuration
    #expect(config.name == "infra1")
    #expect(config.dataDir == "/var/lib/etcd/infra1")
    #expect(config.heartbeatInterval == .milliseconds(50))
    #expect(config.electionTimeout == .milliseconds(500))
    #expect(config.snapshotCount == 5000)
    #expect(config.listenClientURLs.map(\.description) == ["https://10.0.0.1:2379", "https://127.0.0.1:2379"])
    #expect(config.initialClusterState == .existing)
    #expect(config.grpcKeepaliveMinTime == .seconds(10))
    #expect(config.quotaBackendBytes == 4 << 30)
    #expect(config.autoCompactionMode == .revision)
    #expect(try config.compactionRetention() == .revisions(1000))
    #expect(config.logger == .zap && config.logOutputs == ["stderr"] && config.logLevel == .debug)
    #expect(config.cipherSuites == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
    #expect(config.metrics == .extensive && config.preVote && config.enableV2)
    #expect(config.clientTLS.certFile == "/etc/etcd/server.crt")
    #expect(config.clientTLS.keyFile == "/etc/etcd/server.key")
    #expect(config.clientTLS.clientCertAuth)
    #expect(config.clientTLS.trustedCAFile == "/etc/etcd/ca.crt")
    #expect(config.peerTLS.certFile == "/etc/etcd/peer.crt" && config.peerTLS.clientCertAuth && !config.peerTLS.autoTLS)
    #expect(try config.initialClusterMembers()["infra2"]?.map(\.description) == ["https://10.0.0.2:2380"])
    #expect(loaded.configFile != nil)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.messages.first?.message.hasPrefix("Loading server configuration from ") == true)
    try config.verifyStartup(memberInitialized: false)
  }

  @Test func configFileVariableIsUsedWhenTheFlagIsAbsent() throws {
    let name = try withFile("name: from-env-file\n") { path in
      try ServerConfiguration.load(arguments: ["--name=ignored"], environment: ["ETCD_CONFIG_FILE": path]).configuration.name
    }
    #expect(name == "from-env-file")
  }

  /// The messages are etcd 3.4.23's for the same files ("error verifying flags, <this>. See 'etcd --help'.").
  @Test(arguments: [
    ("heartbeat-interval: abc\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.heartbeat-interval of type uint"),
    ("name: [1,2]\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field configYAML.name of type string"),
    ("strict-reconfig-check: maybe\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.strict-reconfig-check of type bool"),
    ("client-transport-security:\n  cert-file: 5\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field securityConfig.client-transport-security.cert-file of type string"),
    ("election-timeout: -5\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number -5 into Go struct field configYAML.election-timeout of type uint"),
    ("grpc-keepalive-min-time: 5s\n",
     "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.grpc-keepalive-min-time of type time.Duration"),
    ("election-timeout: 10\n", "--election-timeout[10ms] should be at least as 5 times as --heartbeat-interval[100ms]"),
    ("initial-cluster-state: maybe\n", "unexpected clusterState \"maybe\""),
  ])
  func wrongTypesNameTheKeyAndTheExpectedType(yaml: String, message: String) throws {
    try withFile(yaml) { path in
      #expect(throws: ConfigurationError.invalidFlags(message)) {
        try ServerConfiguration.load(arguments: ["--config-file=\(path)"], environment: [:])
      }
    }
  }

  @Test func badURLInTheFileIsEtcdsOneLineError() throws {
    #expect(throws: ConfigurationError.configFileURLs(key: "listen-client-urls",
                                                      reason: "URL scheme must be http, https, unix, or unixs: foo")) {
      _ = try withFile("listen-client-urls: foo\n") { path in
        try ServerConfiguration.load(arguments: ["--config-file=\(path)"], environment: [:])
      }
    }
    #expect(ConfigurationError.configFileURLs(key: "listen-client-urls", reason: "x").description
      == "unexpected error setting up listen-client-urls: x")
  }

  @Test func missingFileAndBrokenYAMLAreReported() throws {
    #expect(throws: ConfigurationError.invalidFlags("open /nonexistent/etcd.yml: no such file or directory")) {
      try ServerConfiguration.load(arguments: ["--config-file=/nonexistent/etcd.yml"], environment: [:])
    }
    do {
      _ = try withFile(": : :\n - x\n") { path in try ServerConfiguration.load(arguments: ["--config-file", path], environment: [:]) }
      Issue.record("broken YAML was accepted")
    } catch let error as ConfigurationError {
      #expect(error.description.hasPrefix("error converting YAML to JSON: yaml: "))
    }
  }
}
