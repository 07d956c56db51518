import Foundation
import Yams

/// Reads an inventory YAML file into a validated `Inventory`, reporting every problem with file:line:column.
public enum InventoryLoader {
  static let topKeys = ["cluster", "ssh", "groups", "hosts"]
  static let clusterKeys = ["name", "token", "server", "tls", "pki_dir", "ca_cert", "ca_key", "max_clock_offset_ms",
                            "min_free_disk_mb", "fsync_warn_ms", "allowed_clients", "backup_dir"] + NodeOverrides.keys
  static let groupKeys = ["connection", "ssh"] + NodeOverrides.keys
  static let hostKeys = ["name", "address", "group", "connection", "ssh"] + NodeOverrides.keys

  /// Loads and validates the inventory at `path`.
  public static func load(path: String, home: String = NSHomeDirectory()) throws(InventoryError) -> Inventory {
    guard let data = FileManager.default.contents(atPath: path) else {
      let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
      throw InventoryError(diagnostics: [.init(severity: .error, file: path, line: 0, column: 0, field: "",
                                               message: "inventory file \(reason); pass the path of an inventory YAML file")])
    }
    let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    return try parse(yaml: String(decoding: data, as: UTF8.self), file: path, baseDirectory: base, home: home)
  }

  /// Parses inventory text; `baseDirectory` anchors relative controller paths.
  public static func parse(yaml: String, file: String, baseDirectory: String, home: String) throws(InventoryError) -> Inventory {
    let fields = YAMLFields(file: file)
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch let error as YamlError {
      throw InventoryError(diagnostics: [syntaxDiagnostic(error, file: file)])
    } catch {
      throw InventoryError(diagnostics: [.init(severity: .error, file: file, line: 0, column: 0, field: "",
                                               message: "not valid YAML: \(error)")])
    }
    guard let root else {
      throw InventoryError(diagnostics: [.init(severity: .error, file: file, line: 0, column: 0, field: "",
                                               message: "the file is empty; see inventories/ for examples")])
    }
    let paths = PathResolver(baseDirectory: baseDirectory, home: home)
    let top = fields.mapping(root, "", allowed: topKeys)
    let (cluster, defaults) = readCluster(top["cluster"], fields: fields, paths: paths, root: root)
    var ssh = SSHSettings(user: "root", port: 22, keys: [paths.controllerPath("~/.ssh/id_ed25519")],
                          knownHosts: paths.controllerPath("~/.ssh/known_hosts"), agent: true, passwordEnv: nil,
                          sudo: .none, sudoPasswordEnv: nil, jump: nil, connectTimeoutSeconds: 10)
    if top["ssh"] != nil { SSHOverrides(top["ssh"], "ssh", fields).apply(to: &ssh, paths: paths) }
    let groups = readGroups(top["groups"], fields: fields)
    var hosts: [HostSpec] = []
    if top["hosts"] == nil { fields.error(root, "hosts", "is missing; list the hosts to deploy to (name and address each)") }
    for (index, node) in fields.sequence(top["hosts"], "hosts").enumerated() {
      if let host = readHost(node, index: index, cluster: cluster, defaults: defaults,
                             clusterSetsServiceUser: clusterSetsServiceUser(top["cluster"]), ssh: ssh, groups: groups,
                             fields: fields, paths: paths) {
        hosts.append(host)
      }
    }
    if let cluster {
      InventoryValidator(fields: fields, cluster: cluster, root: root).validate(hosts: hosts, hostNodes: fields.sequence(top["hosts"], "hosts"))
    }
    let errors = fields.diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let cluster else { throw InventoryError(diagnostics: fields.diagnostics) }
    return Inventory(file: file, cluster: cluster, hosts: hosts, warnings: fields.diagnostics)
  }

  private static func syntaxDiagnostic(_ error: YamlError, file: String) -> InventoryDiagnostic {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
      return .init(severity: .error, file: file, line: mark.line, column: mark.column, field: "",
                   message: "YAML syntax: \(problem); check indentation and quoting on this line")
    default:
      return .init(severity: .error, file: file, line: 0, column: 0, field: "", message: "not valid YAML: \(error)")
    }
  }

  private static func readCluster(
    _ node: Node?, fields: YAMLFields, paths: PathResolver, root: Node
  ) -> (ClusterSpec?, NodeSettings) {
    let entries = fields.mapping(node, "cluster", allowed: clusterKeys)
    let server = fields.choice(entries["server"], "cluster.server", ServerKind.self) ?? .swetcd
    let name = fields.string(entries["name"], "cluster.name")
    if node == nil {
      fields.error(root, "cluster", "is missing; give at least `cluster: { name: my-etcd }`")
    } else if entries["name"] == nil {
      fields.error(node, "cluster.name", "is missing; name the cluster (it is also the default initial-cluster-token)")
    } else if let name, name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
      fields.error(entries["name"], "cluster.name", "use letters, digits, '-', '_' and '.' only (it names files and the PKI folder)")
    }
    let serviceName = server == .etcd ? "etcd" : "swetcd"
    var defaults = NodeSettings(
      clientPort: 2379, peerPort: 2380, dataDirectory: server == .etcd ? "/var/lib/etcd" : "/var/lib/swetcd",
      walDirectory: nil, binary: nil, ctlBinary: nil, binDirectory: "/usr/local/bin", configDirectory: "/etc/swetcd",
      logDirectory: "/var/log/swetcd", serviceName: serviceName, serviceUser: "etcd", service: .auto,
      firewall: .auto, settings: [:])
    let overrides = NodeOverrides(entries, "cluster", fields)
    apply(overrides, to: &defaults, paths: paths)
    let clusterName = name ?? "etcd"
    let caCert = fields.string(entries["ca_cert"], "cluster.ca_cert").map(paths.controllerPath)
    let caKey = fields.string(entries["ca_key"], "cluster.ca_key").map(paths.controllerPath)
    if (caCert == nil) != (caKey == nil) {
      fields.error(entries["ca_cert"] ?? entries["ca_key"], caCert == nil ? "cluster.ca_cert" : "cluster.ca_key",
                   "give both ca_cert and ca_key to use your own CA, or neither to have one generated")
    }
    let backupDirectory = fields.string(entries["backup_dir"], "cluster.backup_dir") ?? "/var/lib/swetcd-backups/\(clusterName)"
    if !backupDirectory.hasPrefix("/") {
      fields.error(entries["backup_dir"], "cluster.backup_dir", "\"\(backupDirectory)\" must be an absolute path on the hosts")
    }
    var spec = ClusterSpec(
      name: clusterName,
      token: fields.string(entries["token"], "cluster.token") ?? clusterName,
      server: server,
      tls: fields.bool(entries["tls"], "cluster.tls") ?? true,
      pkiDirectory: paths.controllerPath(fields.string(entries["pki_dir"], "cluster.pki_dir") ?? "pki/\(clusterName)"),
      caCertificate: caCert, caKey: caKey,
      maxClockOffsetMilliseconds: fields.int(entries["max_clock_offset_ms"], "cluster.max_clock_offset_ms", range: 1...60_000) ?? 500,
      minFreeDiskMegabytes: fields.int(entries["min_free_disk_mb"], "cluster.min_free_disk_mb", range: 0...10_000_000) ?? 1024,
      fsyncWarnMilliseconds: fields.int(entries["fsync_warn_ms"], "cluster.fsync_warn_ms", range: 1...10_000) ?? 10,
      allowedClients: fields.stringList(entries["allowed_clients"], "cluster.allowed_clients") ?? [])
    spec.backupDirectory = backupDirectory
    return (name == nil ? nil : spec, defaults)
  }

  private static func clusterSetsServiceUser(_ node: Node?) -> Bool {
    guard case .mapping(let mapping)? = node else { return false }
    return mapping.contains { $0.key.scalar?.string == "service_user" }
  }

  private struct Group {
    var node: Node
    var connection: ConnectionKind?
    var ssh: Node?
    var overrides: NodeOverrides
  }

  private static func readGroups(_ node: Node?, fields: YAMLFields) -> [String: Group] {
    guard let node else { return [:] }
    guard case .mapping(let mapping) = node else {
      fields.error(node, "groups", "expected a mapping of group name to settings")
      return [:]
    }
    var groups: [String: Group] = [:]
    for (keyNode, value) in mapping {
      guard let name = keyNode.scalar?.string else { continue }
      let path = "groups.\(name)"
      let entries = fields.mapping(value, path, allowed: groupKeys)
      groups[name] = Group(node: value, connection: fields.choice(entries["connection"], "\(path).connection", ConnectionKind.self),
                           ssh: entries["ssh"], overrides: NodeOverrides(entries, path, fields))
    }
    return groups
  }

  private static func readHost(
    _ node: Node, index: Int, cluster: ClusterSpec?, defaults: NodeSettings, clusterSetsServiceUser: Bool, ssh: SSHSettings,
    groups: [String: Group], fields: YAMLFields, paths: PathResolver
  ) -> HostSpec? {
    let path = "hosts[\(index)]"
    let entries = fields.mapping(node, path, allowed: hostKeys)
    let name = fields.string(entries["name"], "\(path).name")
    let address = fields.string(entries["address"], "\(path).address")
    if entries["name"] == nil { fields.error(node, "\(path).name", "is missing; every host needs a name (its etcd member name)") }
    if entries["address"] == nil { fields.error(node, "\(path).address", "is missing; give the host's IP address or DNS name") }
    var node_ = defaults
    var sshSettings = ssh
    var connection = ConnectionKind.ssh
    let groupName = fields.string(entries["group"], "\(path).group")
    if let groupName {
      if let group = groups[groupName] {
        apply(group.overrides, to: &node_, paths: paths)
        if group.ssh != nil { SSHOverrides(group.ssh, "groups.\(groupName).ssh", fields).apply(to: &sshSettings, paths: paths) }
        if let kind = group.connection { connection = kind }
      } else {
        let known = groups.keys.sorted().joined(separator: ", ")
        fields.error(entries["group"], "\(path).group", "no group \"\(groupName)\" is defined under groups:\(known.isEmpty ? " (there are none)" : " (known: \(known))")")
      }
    }
    apply(NodeOverrides(entries, path, fields), to: &node_, paths: paths)
    if entries["ssh"] != nil { SSHOverrides(entries["ssh"], "\(path).ssh", fields).apply(to: &sshSettings, paths: paths) }
    if let kind = fields.choice(entries["connection"], "\(path).connection", ConnectionKind.self) { connection = kind }
    if connection == .local {
      resolveLocalPaths(&node_, paths: paths)
      // On this machine the server runs as whoever runs the tool, unless an inventory level says otherwise.
      let explicitUser = entries["service_user"] != nil || groupName.flatMap { groups[$0]?.overrides.serviceUser } != nil
        || clusterSetsServiceUser
      if !explicitUser { node_.serviceUser = NSUserName() }
    }
    guard let name, let address else { return nil }
    return HostSpec(name: name, address: address, connection: connection, ssh: sshSettings, node: node_,
                    group: groupName, line: node.mark?.line ?? 0)
  }

  private static func apply(_ overrides: NodeOverrides, to settings: inout NodeSettings, paths: PathResolver) {
    if let value = overrides.clientPort { settings.clientPort = value }
    if let value = overrides.peerPort { settings.peerPort = value }
    if let value = overrides.dataDirectory { settings.dataDirectory = value.0 }
    if let value = overrides.walDirectory { settings.walDirectory = value.0 }
    if let value = overrides.binary { settings.binary = paths.controllerPath(value.0) }
    if let value = overrides.ctlBinary { settings.ctlBinary = paths.controllerPath(value.0) }
    if let value = overrides.binDirectory { settings.binDirectory = value.0 }
    if let value = overrides.configDirectory { settings.configDirectory = value.0 }
    if let value = overrides.logDirectory { settings.logDirectory = value.0 }
    if let value = overrides.serviceName { settings.serviceName = value }
    if let value = overrides.serviceUser { settings.serviceUser = value }
    if let value = overrides.service { settings.service = value }
    if let value = overrides.firewall { settings.firewall = value }
    if let value = overrides.settings { settings.settings.merge(value) { _, new in new } }
  }

  /// On a `local` host the "remote" paths are this machine's: relative ones are taken from the inventory's folder.
  private static func resolveLocalPaths(_ settings: inout NodeSettings, paths: PathResolver) {
    settings.dataDirectory = paths.controllerPath(settings.dataDirectory)
    settings.walDirectory = settings.walDirectory.map(paths.controllerPath)
    settings.binDirectory = paths.controllerPath(settings.binDirectory)
    settings.configDirectory = paths.controllerPath(settings.configDirectory)
    settings.logDirectory = paths.controllerPath(settings.logDirectory)
  }
}
