import Yams

/// Node-level keys as written at one level (cluster, group or host); nil where that level says nothing.
struct NodeOverrides {
  static let keys = ["client_port", "peer_port", "data_dir", "wal_dir", "binary", "ctl_binary", "bin_dir", "config_dir",
                     "log_dir", "service_name", "service_user", "service", "firewall", "settings"]

  var clientPort: Int?
  var peerPort: Int?
  var dataDirectory: (String, Node)?
  var walDirectory: (String, Node)?
  var binary: (String, Node)?
  var ctlBinary: (String, Node)?
  var binDirectory: (String, Node)?
  var configDirectory: (String, Node)?
  var logDirectory: (String, Node)?
  var serviceName: String?
  var serviceUser: String?
  var service: ServiceChoice?
  var firewall: FirewallChoice?
  var settings: [String: String]?

  init(_ entries: [String: Node], _ path: String, _ fields: YAMLFields) {
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    func located(_ key: String) -> (String, Node)? {
      guard let node = entries[key], let text = fields.string(node, field(key)) else { return nil }
      return (text, node)
    }
    clientPort = fields.int(entries["client_port"], field("client_port"), range: 1...65535)
    peerPort = fields.int(entries["peer_port"], field("peer_port"), range: 1...65535)
    dataDirectory = located("data_dir")
    walDirectory = located("wal_dir")
    binary = located("binary")
    ctlBinary = located("ctl_binary")
    binDirectory = located("bin_dir")
    configDirectory = located("config_dir")
    logDirectory = located("log_dir")
    serviceName = fields.string(entries["service_name"], field("service_name"))
    serviceUser = fields.string(entries["service_user"], field("service_user"))
    service = fields.choice(entries["service"], field("service"), ServiceChoice.self)
    firewall = fields.choice(entries["firewall"], field("firewall"), FirewallChoice.self)
    settings = fields.scalarMap(entries["settings"], field("settings"))
  }
}

/// SSH keys as written at one level (top-level `ssh:`, a group's or a host's).
struct SSHOverrides {
  static let keys = ["user", "port", "key", "keys", "known_hosts", "agent", "password_env", "sudo", "sudo_password_env",
                     "jump", "connect_timeout_s"]

  var user: String?
  var port: Int?
  var keys: [String]?
  var knownHosts: String?
  var agent: Bool?
  var passwordEnv: String?
  var sudo: SudoChoice?
  var sudoPasswordEnv: String?
  var jump: String?
  var connectTimeoutSeconds: Int?

  init(_ node: Node?, _ path: String, _ fields: YAMLFields) {
    let entries = fields.mapping(node, path, allowed: Self.keys)
    func field(_ key: String) -> String { "\(path).\(key)" }
    user = fields.string(entries["user"], field("user"))
    port = fields.int(entries["port"], field("port"), range: 1...65535)
    if let single = fields.string(entries["key"], field("key")) { keys = [single] }
    if let list = fields.stringList(entries["keys"], field("keys")) { keys = (keys ?? []) + list }
    knownHosts = fields.string(entries["known_hosts"], field("known_hosts"))
    agent = fields.bool(entries["agent"], field("agent"))
    passwordEnv = fields.string(entries["password_env"], field("password_env"))
    sudo = fields.choice(entries["sudo"], field("sudo"), SudoChoice.self)
    sudoPasswordEnv = fields.string(entries["sudo_password_env"], field("sudo_password_env"))
    jump = fields.string(entries["jump"], field("jump"))
    connectTimeoutSeconds = fields.int(entries["connect_timeout_s"], field("connect_timeout_s"), range: 1...600)
  }

  func apply(to settings: inout SSHSettings, paths: PathResolver) {
    if let user { settings.user = user }
    if let port { settings.port = port }
    if let keys { settings.keys = keys.map(paths.controllerPath) }
    if let knownHosts { settings.knownHosts = paths.controllerPath(knownHosts) }
    if let agent { settings.agent = agent }
    if let passwordEnv { settings.passwordEnv = passwordEnv }
    if let sudo { settings.sudo = sudo }
    if let sudoPasswordEnv { settings.sudoPasswordEnv = sudoPasswordEnv }
    if let jump { settings.jump = jump }
    if let connectTimeoutSeconds { settings.connectTimeoutSeconds = connectTimeoutSeconds }
  }
}

/// Turns paths written in an inventory into absolute ones: `~` is the user's home; relative controller paths are
/// relative to the inventory file's folder.
struct PathResolver {
  let baseDirectory: String
  let home: String

  func controllerPath(_ path: String) -> String {
    if path == "~" { return home }
    if path.hasPrefix("~/") { return home + path.dropFirst(1) }
    if path.hasPrefix("/") { return path }
    return normalize(baseDirectory + "/" + path)
  }

  private func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") {
      if part == "." { continue }
      if part == "..", !parts.isEmpty { parts.removeLast(); continue }
      parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
  }
}
