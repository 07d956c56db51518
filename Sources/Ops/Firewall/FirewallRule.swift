import Foundation

/// One port a member must open, and from where.
public struct FirewallRule: Sendable, Hashable {
  public enum Purpose: String, Sendable { case peer, client }

  public var purpose: Purpose
  public var port: Int
  /// Source addresses or CIDRs; empty admits any source.
  public var sources: [String]

  public var ipv4Sources: [String] { sources.filter { !$0.contains(":") } }
  public var ipv6Sources: [String] { sources.filter { $0.contains(":") } }

  /// Tag written as the rule's comment: cluster, purpose and a hash of the spec, so a re-run can tell an
  /// up-to-date rule from a stale one without parsing each backend's rule syntax.
  public func tag(cluster: String) -> String {
    let spec = "\(purpose.rawValue)|\(port)|\(sources.joined(separator: ","))"
    let digest = SHA256Hex.of(Data(spec.utf8)).prefix(8)
    return "swetcd-ops \(cluster) \(purpose.rawValue) \(digest)"
  }

  /// The rules one member needs: its peer port open to the other members, its client port open to the allowed
  /// clients plus the members and the controller (or to anyone when no clients are listed).
  public static func rules(for host: HostSpec, in inventory: Inventory, controllerAddress: String?) -> [FirewallRule] {
    let members = inventory.hosts.map(\.address).filter { $0 != host.address }
    let peerSources = Array(Set(members)).sorted()
    var clientSources: [String] = []
    if !inventory.cluster.allowedClients.isEmpty {
      clientSources = Array(Set(inventory.cluster.allowedClients + members + [controllerAddress].compactMap { $0 })).sorted()
    }
    var rules = [FirewallRule(purpose: .client, port: host.node.clientPort, sources: clientSources)]
    if !peerSources.isEmpty { rules.append(FirewallRule(purpose: .peer, port: host.node.peerPort, sources: peerSources)) }
    return rules
  }
}

/// What a firewall backend found and did.
public struct FirewallReport: Sendable, Hashable {
  public var backend: FirewallChoice
  /// Human-readable actions taken (or that would be taken in a dry run); empty when already in place.
  public var actions: [String]
  public var changed: Bool { !actions.isEmpty }
}

/// A firewall frontend on a host.
protocol FirewallBackend: Sendable {
  var kind: FirewallChoice { get }
  /// Brings the host's rules for this cluster to exactly `rules`; returns what it did (or would do when `dryRun`).
  func apply(_ rules: [FirewallRule], cluster: String, dryRun: Bool, on host: some HostConnection) async throws(OpsError) -> [String]
}

public enum Firewall {
  /// Picks the backend: the inventory's choice, or for `auto` the active frontend (firewalld, ufw), else nft,
  /// else iptables; nil when there is nothing to configure.
  public static func backend(choice: FirewallChoice, facts: HostFacts) -> FirewallChoice? {
    switch choice {
    case .none: return nil
    case .auto:
      if facts.activeFirewalls.contains(.firewalld) { return .firewalld }
      if facts.activeFirewalls.contains(.ufw) { return .ufw }
      if facts.firewallTools.contains(.nftables) { return .nftables }
      if facts.firewallTools.contains(.iptables) { return .iptables }
      return nil
    default: return choice
    }
  }

  /// Opens the member's ports with the chosen backend.
  public static func apply(
    rules: [FirewallRule], cluster: String, backend: FirewallChoice, dryRun: Bool, on host: some HostConnection
  ) async throws(OpsError) -> FirewallReport {
    let implementation: any FirewallBackend
    switch backend {
    case .nftables: implementation = NFTablesBackend()
    case .iptables: implementation = IPTablesBackend()
    case .firewalld: implementation = FirewalldBackend()
    case .ufw: implementation = UFWBackend()
    case .auto, .none: return FirewallReport(backend: backend, actions: [])
    }
    return FirewallReport(backend: backend, actions: try await implementation.apply(rules, cluster: cluster, dryRun: dryRun, on: host))
  }
}
