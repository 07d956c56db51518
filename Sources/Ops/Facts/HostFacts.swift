/// What a host is like, gathered before anything is changed on it.
public struct HostFacts: Sendable, Hashable {
  public var hostname: String
  public var osID: String
  public var osVersion: String
  /// `uname -m`: x86_64, aarch64, ...
  public var architecture: String
  /// systemd is PID 1 and running.
  public var systemdRunning: Bool
  public var firewallTools: Set<FirewallChoice>
  /// Firewall frontends that are active (firewalld running, ufw enabled).
  public var activeFirewalls: Set<FirewallChoice>
  /// chronyd, systemd-timesyncd, ntpd or openntpd, if one runs.
  public var timeSyncDaemon: String?
  /// Whether the time-sync daemon reports the clock synchronised (nil: cannot tell).
  public var clockSynchronized: Bool?
  /// Free space on the filesystem that holds (or will hold) the data dir.
  public var freeDiskKilobytes: Int?
  public var dataDirectory: DataDirectoryState
  /// Listening TCP ports and the process name holding each, when `ss` can tell.
  public var listeningPorts: [Int: String]
  /// First line of `<server binary> --version`, if the binary is installed.
  public var installedServerVersion: String?
  /// Whether the service account exists.
  public var serviceUserExists: Bool
  /// The controller's address as the host sees it (from SSH_CLIENT); nil for local connections.
  public var controllerAddress: String?
  /// Clock offset from the controller, corrected for round-trip time (positive: the host is ahead).
  public var clockOffsetMilliseconds: Double?
}

public enum DataDirectoryState: String, Sendable, Hashable {
  /// No such directory.
  case absent
  /// Exists and holds nothing.
  case empty
  /// Holds an etcd member (member/wal or member/snap).
  case member
  /// Holds something else.
  case other
}
