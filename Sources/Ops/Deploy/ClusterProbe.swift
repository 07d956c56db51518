import EtcdClient
import Foundation
import PKI

/// Talks to a deployed cluster through its client endpoints, as an operator's etcdctl would: health of every
/// member, status, membership. Used by deploy (to wait for quorum) and by `status` and `health`.
public struct ClusterProbe: Sendable {
  public let inventory: Inventory

  public init(inventory: Inventory) { self.inventory = inventory }

  /// The client certificate swetcd-ops uses (CN root) under the cluster's PKI folder.
  public var clientTLS: EtcdTLS? {
    guard inventory.cluster.tls else { return nil }
    let store = PKIStore(directory: inventory.cluster.pkiDirectory)
    guard let files = try? store.clientFiles(user: "root") else { return nil }
    return EtcdTLS(caFile: store.caCertificatePath, certFile: files.certificatePath, keyFile: files.keyPath)
  }

  public func client(hosts: [HostSpec]? = nil, callTimeout: Duration = .seconds(5)) throws(EtcdClientError) -> EtcdClient {
    try client(endpoints: (hosts ?? inventory.hosts).map { $0.clientURL(tls: inventory.cluster.tls) }, callTimeout: callTimeout)
  }

  /// A client on these endpoints with the tool's client certificate.
  public func client(endpoints: [String], callTimeout: Duration = .seconds(5)) throws(EtcdClientError) -> EtcdClient {
    try EtcdClient(endpoints: endpoints, tls: clientTLS, callTimeout: callTimeout)
  }

  /// Polls until every listed member is healthy or `timeout` passes; returns the last health of each.
  public func waitUntilHealthy(hosts: [HostSpec]? = nil, timeout: Duration,
                               onPoll: (@Sendable ([EndpointHealth]) -> Void)? = nil) async -> [EndpointHealth] {
    let deadline = ContinuousClock.now + timeout
    var last: [EndpointHealth] = []
    while true {
      guard let client = try? client(hosts: hosts, callTimeout: .seconds(3)) else { return [] }
      last = await client.closing { client in await client.healthOfAll() }
      onPoll?(last)
      if last.allSatisfy(\.isHealthy) || ContinuousClock.now >= deadline { return last }
      try? await Task.sleep(for: .milliseconds(500))
    }
  }

  /// The final table: one row per member with its ID, version, leadership, raft index, db size and health.
  public func summary() async -> (table: String, healthy: Bool) {
    guard let client = try? client() else { return ("cannot build a client for the inventory's endpoints", false) }
    let (statusList, healthList) = await client.closing { client in
      async let statuses = client.statusOfAll()
      async let health = client.healthOfAll()
      return await (statuses, health)
    }
    var rows = [["HOST", "ENDPOINT", "MEMBER ID", "VERSION", "LEADER", "RAFT TERM", "RAFT INDEX", "DB SIZE", "HEALTH"]]
    for (index, host) in inventory.hosts.enumerated() {
      let endpoint = host.clientURL(tls: inventory.cluster.tls)
      let healthy = healthList[index].isHealthy
      switch statusList[index] {
      case .success(let status):
        rows.append([host.name, endpoint, etcdIDString(status.memberID), status.version, status.isLeader ? "yes" : "no",
                     String(status.raftTerm), String(status.raftIndex), Self.bytes(status.dbSize), healthy ? "healthy" : "UNHEALTHY"])
      case .failure(let error):
        rows.append([host.name, endpoint, "-", "-", "-", "-", "-", "-", "UNREACHABLE: \(Self.short(error.description))"])
      }
    }
    return (TextTable.render(rows).joined(separator: "\n"), healthList.allSatisfy(\.isHealthy))
  }

  static func bytes(_ count: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(count), unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }

  static func short(_ text: String) -> String { text.count > 80 ? String(text.prefix(77)) + "..." : text }
}
