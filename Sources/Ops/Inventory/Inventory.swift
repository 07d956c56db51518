/// A validated inventory: the cluster to build and the hosts to build it on, with every default and override
/// already applied (each host carries its effective settings).
public struct Inventory: Sendable {
  /// The file it was read from (for messages).
  public var file: String
  public var cluster: ClusterSpec
  public var hosts: [HostSpec]
  /// Warnings found while reading it (errors make loading fail instead).
  public var warnings: [InventoryDiagnostic]

  public func host(named name: String) -> HostSpec? { hosts.first { $0.name == name } }
}

/// Which server the inventory deploys.
public enum ServerKind: String, Sendable, CaseIterable {
  case swetcd
  /// Upstream etcd; `binary:` and `ctl_binary:` name the files to push.
  case etcd
}

public enum ServiceChoice: String, Sendable, CaseIterable {
  /// systemd where it is running, else the process supervisor.
  case auto, systemd, process
}

public enum FirewallChoice: String, Sendable, CaseIterable {
  case auto, nftables, iptables, firewalld, ufw, none
}

public enum ConnectionKind: String, Sendable, CaseIterable {
  /// Over SSH (libssh2).
  case ssh
  /// This machine, without SSH.
  case local
}

public enum SudoChoice: String, Sendable, CaseIterable {
  case none, passwordless, password
}

/// Cluster-wide settings.
public struct ClusterSpec: Sendable, Hashable {
  public var name: String
  /// `--initial-cluster-token`; defaults to `name`.
  public var token: String
  public var server: ServerKind
  public var tls: Bool
  /// Where the generated CA and certificates live on the controller (default `./pki/<name>` beside the inventory).
  public var pkiDirectory: String
  /// The user's own CA, used instead of generating one.
  public var caCertificate: String?
  public var caKey: String?
  /// Largest tolerated clock offset between the controller and a host (etcd itself breaks at 1 s).
  public var maxClockOffsetMilliseconds: Int
  /// Preflight fails below this much free space on a data dir's filesystem.
  public var minFreeDiskMegabytes: Int
  /// Preflight warns when a data dir's fsync p99 exceeds this.
  public var fsyncWarnMilliseconds: Int
  /// Client-port sources the firewall admits (CIDRs); empty admits any source.
  public var allowedClients: [String]
  /// Folder on each host for scheduled snapshots and data-dir archives (`backup_dir`, default
  /// `/var/lib/swetcd-backups/<name>`).
  public var backupDirectory: String = ""
}

/// Settings that a host may override (cluster defaults, then group, then host).
public struct NodeSettings: Sendable, Hashable {
  public var clientPort: Int
  public var peerPort: Int
  public var dataDirectory: String
  public var walDirectory: String?
  /// Local file pushed as the server binary; nil means the swetcd built from this package.
  public var binary: String?
  /// Local file pushed as the ctl binary; nil means the swetcdctl built from this package.
  public var ctlBinary: String?
  public var binDirectory: String
  public var configDirectory: String
  public var logDirectory: String
  /// systemd unit / supervisor name.
  public var serviceName: String
  /// The account the server runs as.
  public var serviceUser: String
  public var service: ServiceChoice
  public var firewall: FirewallChoice
  /// Extra etcd flags by flag name (`heartbeat-interval: 100`); rendered as ETCD_* variables.
  public var settings: [String: String]
}

/// How to reach a host over SSH.
public struct SSHSettings: Sendable, Hashable {
  public var user: String
  public var port: Int
  /// Private key files, tried in order (after ssh-agent when `agent` is on).
  public var keys: [String]
  public var knownHosts: String
  public var agent: Bool
  /// Name of an environment variable holding the SSH password (never the password itself).
  public var passwordEnv: String?
  public var sudo: SudoChoice
  /// Name of an environment variable holding the sudo password.
  public var sudoPasswordEnv: String?
  /// `[user@]host[:port]` of a jump host (ProxyJump).
  public var jump: String?
  public var connectTimeoutSeconds: Int
}

/// One host of the inventory with its effective settings.
public struct HostSpec: Sendable, Hashable {
  public var name: String
  /// Address the members use (IP or DNS name); also the SSH address.
  public var address: String
  public var connection: ConnectionKind
  public var ssh: SSHSettings
  public var node: NodeSettings
  /// Group this host belongs to, if any.
  public var group: String?
  /// Line of the host's entry in the inventory file.
  public var line: Int

  public func clientURL(tls: Bool) -> String { "\(tls ? "https" : "http")://\(urlHost):\(node.clientPort)" }
  public func peerURL(tls: Bool) -> String { "\(tls ? "https" : "http")://\(urlHost):\(node.peerPort)" }
  private var urlHost: String { address.contains(":") ? "[\(address)]" : address }
}

extension HostSpec {
  /// The local file pushed as this host's server binary: the inventory's, else the swetcd built beside this tool.
  public func localServerBinary(binaryDirectory: String) -> String { node.binary ?? "\(binaryDirectory)/swetcd" }
  /// The local file pushed as this host's ctl binary: the inventory's, else the swetcdctl built beside this tool.
  public func localCtlBinary(binaryDirectory: String) -> String { node.ctlBinary ?? "\(binaryDirectory)/swetcdctl" }
}

extension Inventory {
  /// The local ctl binary that reads and restores this cluster's snapshots on the controller.
  public func localCtlBinary(binaryDirectory: String) -> String {
    hosts.first?.localCtlBinary(binaryDirectory: binaryDirectory) ?? "\(binaryDirectory)/swetcdctl"
  }
}
