import Foundation

/// Where a member's files live on its host.
public struct MemberPaths: Sendable, Hashable {
  public var config: String
  public var unit: String
  /// The process supervisor script (used where systemd is not running).
  public var supervisor: String
  public var supervisorPID: String
  /// Where the supervised server's output goes.
  public var serverLog: String
  public var pkiDirectory: String
  public var caCertificate: String
  public var serverCertificate: String
  public var serverKey: String
  public var peerCertificate: String
  public var peerKey: String
  public var serverBinary: String
  public var ctlBinary: String

  public init(host: HostSpec, server: ServerKind) {
    let node = host.node
    config = "\(node.configDirectory)/etcd.conf"
    // Local hosts are the operator's own machine: keep everything inside the member's folders.
    unit = host.connection == .local ? "\(node.configDirectory)/\(node.serviceName).service"
      : "/etc/systemd/system/\(node.serviceName).service"
    supervisor = "\(node.binDirectory)/\(node.serviceName)-supervise"
    supervisorPID = "\(node.logDirectory)/\(node.serviceName).pid"
    serverLog = "\(node.logDirectory)/\(node.serviceName).log"
    pkiDirectory = "\(node.configDirectory)/pki"
    caCertificate = "\(pkiDirectory)/ca.crt"
    serverCertificate = "\(pkiDirectory)/server.crt"
    serverKey = "\(pkiDirectory)/server.key"
    peerCertificate = "\(pkiDirectory)/peer.crt"
    peerKey = "\(pkiDirectory)/peer.key"
    serverBinary = "\(node.binDirectory)/\(server == .etcd ? "etcd" : "swetcd")"
    ctlBinary = "\(node.binDirectory)/\(server == .etcd ? "etcdctl" : "swetcdctl")"
  }
}

/// Whether a member starts a new cluster or joins an existing one (etcd's --initial-cluster-state).
public enum InitialClusterState: String, Sendable {
  case new, existing
}

/// The `--initial-*` settings a member bootstraps with. etcd reads them only while its data dir is empty.
public struct BootstrapValues: Sendable, Hashable {
  public var initialCluster: String
  public var state: InitialClusterState
  public var token: String

  public init(initialCluster: String, state: InitialClusterState, token: String) {
    self.initialCluster = initialCluster
    self.state = state
    self.token = token
  }

  /// The member names listed in the initial cluster.
  public var memberNames: Set<String> {
    Set(initialCluster.split(separator: ",").compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
  }

  /// The values in a rendered etcd.conf (nil when any is missing).
  public static func parse(config: String) -> BootstrapValues? {
    var values: [String: String] = [:]
    for line in config.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "="), line.hasPrefix("ETCD_INITIAL_CLUSTER") else { continue }
      var value = String(line[line.index(after: equals)...])
      if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
      values[String(line[..<equals])] = value
    }
    guard let cluster = values["ETCD_INITIAL_CLUSTER"], let stateText = values["ETCD_INITIAL_CLUSTER_STATE"],
          let state = InitialClusterState(rawValue: stateText), let token = values["ETCD_INITIAL_CLUSTER_TOKEN"] else { return nil }
    return BootstrapValues(initialCluster: cluster, state: state, token: token)
  }
}

/// Builds the values the templates see for one member. Keys are snake_case, as in the shipped templates.
public enum RenderContext {
  /// - Parameters:
  ///   - members: the hosts listed in ETCD_INITIAL_CLUSTER (all hosts at bootstrap; the current members plus this
  ///     one when joining).
  ///   - bootstrap: the ETCD_INITIAL_* values to render instead of the inventory's (a joining member's, or the
  ///     values an initialized member already has: they are read only at bootstrap).
  public static func make(
    inventory: Inventory, host: HostSpec, members: [HostSpec], state: InitialClusterState,
    bootstrap: BootstrapValues? = nil
  ) -> [String: Any] {
    let cluster = inventory.cluster
    let tls = cluster.tls
    let paths = MemberPaths(host: host, server: cluster.server)
    let scheme = tls ? "https" : "http"
    let listenHost = RenderContext.listenAddress(for: host.address)
    var listenClient = ["\(scheme)://\(listenHost):\(host.node.clientPort)"]
    if !isLoopback(host.address), listenHost != "0.0.0.0" { listenClient.append("\(scheme)://127.0.0.1:\(host.node.clientPort)") }
    let settings = host.node.settings.keys.sorted().map { key -> [String: String] in
      ["variable": "ETCD_" + key.uppercased().replacingOccurrences(of: "-", with: "_"), "value": host.node.settings[key] ?? ""]
    }
    let node: [String: Any] = [
      "name": host.name,
      "address": host.address,
      "data_dir": host.node.dataDirectory,
      "wal_dir": host.node.walDirectory ?? "",
      "bin_dir": host.node.binDirectory,
      "config_dir": host.node.configDirectory,
      "log_dir": host.node.logDirectory,
      "service_user": host.node.serviceUser,
      "service_name": host.node.serviceName,
      "client_url": host.clientURL(tls: tls),
      "peer_url": host.peerURL(tls: tls),
      "listen_client_urls": listenClient.joined(separator: ","),
      "listen_peer_urls": "\(scheme)://\(listenHost):\(host.node.peerPort)",
      "settings": settings,
      "tls": [
        "ca": paths.caCertificate, "cert": paths.serverCertificate, "key": paths.serverKey,
        "peer_cert": paths.peerCertificate, "peer_key": paths.peerKey,
      ],
    ]
    let clusterContext: [String: Any] = [
      "name": cluster.name,
      "token": bootstrap?.token ?? cluster.token,
      "tls": tls,
      "state": bootstrap?.state.rawValue ?? state.rawValue,
      "initial_cluster": bootstrap?.initialCluster ?? members.map { "\($0.name)=\($0.peerURL(tls: tls))" }.joined(separator: ","),
    ]
    return [
      "cluster": clusterContext,
      "node": node,
      "supervisor": ["script": paths.supervisor, "pid_file": paths.supervisorPID, "log_file": paths.serverLog],
      "server_name": cluster.server.rawValue,
      "server_binary": cluster.server == .etcd ? "etcd" : "swetcd",
    ]
  }

  /// etcd binds only to IP addresses: a DNS-named host listens on every interface.
  static func listenAddress(for address: String) -> String {
    guard isIPLiteral(address) else { return "0.0.0.0" }
    return address.contains(":") ? "[\(address)]" : address
  }

  /// An IPv6 address, or a dotted-quad IPv4 address (not a DNS name).
  static func isIPLiteral(_ address: String) -> Bool {
    if address.contains(":") { return true }
    let parts = address.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
  }

  static func isLoopback(_ address: String) -> Bool {
    address == "::1" || address == "localhost" || address.hasPrefix("127.")
  }
}
