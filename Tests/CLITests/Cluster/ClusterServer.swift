import Foundation
import TestSupport

/// The server binary a process-level cluster test runs: the real etcd 3.4 or this package's swetcd, started the same
/// way (ETCD_* variables only).
enum ClusterServer: String, Sendable, CustomStringConvertible, CaseIterable {
  case etcd
  case swetcd

  /// The servers the cluster tests run against: real etcd (the reference) and swetcd, unless
  /// `SWETCD_CLUSTER_TESTS=0` leaves swetcd out.
  static var enabled: [ClusterServer] { swetcdEnabled ? [.etcd, .swetcd] : [.etcd] }

  /// swetcd alone (for swetcd-only tests), nothing with `SWETCD_CLUSTER_TESTS=0`.
  static var swetcdOnly: [ClusterServer] { swetcdEnabled ? [.swetcd] : [] }

  static var swetcdEnabled: Bool { ProcessInfo.processInfo.environment["SWETCD_CLUSTER_TESTS"] != "0" }

  /// Why the cluster tests cannot run here (they need root for network namespaces, etcd and etcdctl), or nil.
  static var unavailableReason: String? {
    if let reason = NamespaceNetwork.unavailableReason { return reason }
    if !RealEtcd.isInstalled { return "etcd or etcdctl is not installed (scripts/setup)" }
    return nil
  }

  static var isAvailable: Bool { unavailableReason == nil }

  /// Path of the server executable.
  var binary: String {
    switch self {
    case .etcd: return RealEtcd.binary ?? "/usr/bin/etcd"
    case .swetcd: return ChildProcess.product("swetcd")
    }
  }

  var description: String { rawValue }
}
