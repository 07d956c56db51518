/// A configuration being loaded: the typed settings plus the settings etcd keeps as free strings until it validates
/// them (so a bad value is reported by validation, with etcd's words, not by the parser).
struct ConfigurationDraft {
  var config = ServerConfiguration()
  var logger = "capnslog"
  var logLevel = "info"
  var metrics = "basic"
  var autoCompactionMode = "periodic"
  /// Only a config file can put an arbitrary text here (the flag accepts new|existing only).
  var clusterState: String?
  /// Names of the flags given on the command line or through ETCD_* variables (etcd's `flags.IsSet`).
  var setFlags: Set<String> = []
  var messages: [ConfigurationMessage] = []

  mutating func info(_ text: String) { messages.append(.init(level: .info, message: text)) }
  mutating func warn(_ text: String) { messages.append(.init(level: .warning, message: text)) }
}

/// Something the loader wants logged (etcd logs the same lines while it reads its configuration).
public struct ConfigurationMessage: Sendable, Equatable, CustomStringConvertible {
  public enum Level: String, Sendable { case info, warning }
  public var level: Level
  /// The message, with etcd's wording.
  public var message: String
  public var description: String { "\(level.rawValue): \(message)" }
}

/// What ``ServerConfiguration/load(arguments:environment:)`` found.
public struct LoadedConfiguration: Sendable, Equatable {
  /// What the command line asks for.
  public enum Action: Sendable, Equatable {
    /// Start the server with ``configuration``.
    case run
    /// `--version` (etcd prints its version lines and exits 0).
    case printVersion
    /// `-h`, `-help` or `--help` (etcd prints its usage and exits 0).
    case printHelp
  }

  /// The resolved, validated settings (etcd's defaults when the action is not `.run`).
  public var configuration: ServerConfiguration
  /// Lines to log, in order: environment variables used or unrecognized, ignored flags, defaults applied.
  public var messages: [ConfigurationMessage]
  public var action: Action
  /// The `--config-file` (or ETCD_CONFIG_FILE) that was read, if any.
  public var configFile: String?

  /// The warning lines of ``messages``.
  public var warnings: [String] { messages.filter { $0.level == .warning }.map(\.message) }
}
