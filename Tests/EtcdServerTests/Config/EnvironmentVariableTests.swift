import EtcdServer
import Testing

/// ETCD_* variables: used for flags not given, fatal when shadowed by a given flag, a warning when they name no flag.
@Suite struct EnvironmentVariableTests {
  /// Printed by etcd 3.4.23 (`ETCD_NAME=x etcd --name y`, a fatal "pkg/flags" line, exit status 1).
  static let etcdConflictLine = "conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding "
    + "command-line flag (either unset environment variable or disable flag)"
  /// Printed by etcd 3.4.23 for `ETCD_FOO=x etcd ...` (a "W | pkg/flags" line).
  static let etcdUnrecognizedLine = "unrecognized environment variable ETCD_FOO=x"
  /// Printed by etcd 3.4.23 for `ETCD_LOGGER=zap etcd` (an "I | pkg/flags" line).
  static let etcdRecognizedLine = "recognized and used environment variable ETCD_LOGGER=zap"

  @Test func variablesSetFlagsThatWereNotGiven() throws {
    let loaded = try ServerConfiguration.load(
      arguments: ["--data-dir=/d"],
      environment: ["ETCD_NAME": "n1", "ETCD_HEARTBEAT_INTERVAL": "50", "ETCD_PRE_VOTE": "true",
                    "ETCD_LISTEN_CLIENT_URLS": "http://127.0.0.1:2379", "ETCD_ADVERTISE_CLIENT_URLS": "http://127.0.0.1:2379",
                    "PATH": "/usr/bin", "ETCDCTL_API": "3"])
    let config = loaded.configuration
    #expect(config.name == "n1")
    #expect(config.heartbeatInterval == .milliseconds(50))
    #expect(config.preVote)
    #expect(config.advertiseClientURLs.map(\.description) == ["http://127.0.0.1:2379"])
    #expect(loaded.warnings.isEmpty, "ETCDCTL_API and PATH are not ETCD_ variables")
    #expect(loaded.messages.contains { $0.message == "recognized and used environment variable ETCD_NAME=n1" })
  }

  @Test func listenClientURLsFromTheEnvironmentAlsoRequireAdvertiseURLs() {
    #expect(throws: ConfigurationError.invalidFlags(
      "--advertise-client-urls is required when --listen-client-urls is set explicitly")) {
      try ServerConfiguration.load(arguments: [], environment: ["ETCD_LISTEN_CLIENT_URLS": "http://127.0.0.1:2379"])
    }
  }

  @Test func variableShadowedByAFlagIsEtcdsFatalConflict() {
    #expect(throws: ConfigurationError.environmentConflict(variable: "ETCD_NAME")) {
      try ServerConfiguration.load(arguments: ["--name", "y"], environment: ["ETCD_NAME": "x"])
    }
    #expect(ConfigurationError.environmentConflict(variable: "ETCD_NAME").description == Self.etcdConflictLine)
  }

  @Test func unknownEtcdVariableIsEtcdsWarningAndKnownOnesAreLogged() throws {
    let loaded = try ServerConfiguration.load(
      arguments: ["--data-dir=/d"], environment: ["ETCD_FOO": "x", "ETCD_ELECTION_TIMEOUT": "1000"])
    #expect(loaded.warnings == [Self.etcdUnrecognizedLine])
    let other = try ServerConfiguration.load(arguments: ["--data-dir=/d"], environment: ["ETCD_LOGGER": "zap"])
    #expect(other.messages.map(\.message) == [Self.etcdRecognizedLine])
    #expect(other.configuration.logger == .zap)
  }

  @Test func badVariableValueUsesEtcdsText() {
    // etcd 3.4.23: "error verifying flags, invalid value "abc" for ETCD_HEARTBEAT_INTERVAL: parse error. See 'etcd --help'."
    #expect(throws: ConfigurationError.invalidFlags("invalid value \"abc\" for ETCD_HEARTBEAT_INTERVAL: parse error")) {
      try ServerConfiguration.load(arguments: [], environment: ["ETCD_HEARTBEAT_INTERVAL": "abc"])
    }
    #expect(throws: ConfigurationError.invalidFlags("invalid value \"maybe\" for ETCD_STRICT_RECONFIG_CHECK: parse error")) {
      try ServerConfiguration.load(arguments: [], environment: ["ETCD_STRICT_RECONFIG_CHECK": "maybe"])
    }
  }
}
