import Foundation
@testable import Ops
import Testing
import TestSupport

/// Runs commands inside a network namespace this test created, so real firewall rules touch nothing else.
struct NamespaceConnection: HostConnection {
  let namespace: String
  let local = LocalConnection(hostName: "fw-test")
  var hostName: String { "fw-test" }

  /// Runs `body` with a fresh network namespace and deletes it afterwards, also when `body` throws. `ip netns`
  /// runs off the concurrency pool.
  static func with(_ body: (NamespaceConnection) async throws -> Void) async throws {
    let name = "swetcd-fw-\(UInt32.random(in: 0...UInt32.max))"
    let out = try await ChildProcess.runDetached("/usr/sbin/ip", ["netns", "add", name])
    guard out.status == 0 else { throw RealEtcdError("ip netns add failed: \(out.stderr)") }
    let namespace = NamespaceConnection(namespace: name)
    do {
      try await body(namespace)
    } catch {
      await namespace.destroy()
      throw error
    }
    await namespace.destroy()
  }

  private func destroy() async { _ = try? await ChildProcess.runDetached("/usr/sbin/ip", ["netns", "delete", namespace]) }

  func run(_ command: String, stdin: Data?, timeout: Duration) async throws(OpsError) -> CommandOutput {
    try await local.run("ip netns exec \(namespace) sh -c \(shellQuote(command))", stdin: stdin, timeout: timeout)
  }
  func readFile(_ path: String) async throws(OpsError) -> Data? { try await local.readFile(path) }
  func writeFile(_ data: Data, to path: String, mode: Int, owner: String?) async throws(OpsError) {
    try await local.writeFile(data, to: path, mode: mode, owner: owner)
  }
  func pushFile(localPath: String, to path: String, mode: Int, owner: String?, progress: (@Sendable (Int, Int) -> Void)?) async throws(OpsError) {
    try await local.pushFile(localPath: localPath, to: path, mode: mode, owner: owner, progress: progress)
  }
  func sha256(of path: String) async throws(OpsError) -> String? { try await local.sha256(of: path) }
  func close() async {}
}

let canMakeNamespaces = getuid() == 0 && ChildProcess.which("ip") != nil && ChildProcess.which("nft") != nil

@Suite(.enabled(if: canMakeNamespaces, "needs root, iproute2 and nftables (scripts/setup)"), .serialized)
struct FirewallTests {
  let peer = FirewallRule(purpose: .peer, port: 2380, sources: ["10.9.0.2", "10.9.0.3"])
  let client = FirewallRule(purpose: .client, port: 2379, sources: [])

  @Test func nftablesOpensPortsInADropPolicyChainOnceAndOnlyOnce() async throws {
    try await NamespaceConnection.with { ns in
      try await ns.check("nft 'add table inet filter'; nft 'add chain inet filter input { type filter hook input priority 0; policy drop; }'; nft 'add rule inet filter input tcp dport 22 accept'")
      let first = try await Firewall.apply(rules: [client, peer], cluster: "c1", backend: .nftables, dryRun: false, on: ns)
      #expect(first.changed)
      let listing = try await ns.check("nft list chain inet filter input")
      #expect(listing.contains("tcp dport 2380 ip saddr { 10.9.0.2, 10.9.0.3 } accept comment \"\(peer.tag(cluster: "c1"))\""))
      #expect(listing.contains("tcp dport 2379 accept comment \"\(client.tag(cluster: "c1"))\""))
      #expect(listing.contains("tcp dport 22 accept"))
      let second = try await Firewall.apply(rules: [client, peer], cluster: "c1", backend: .nftables, dryRun: false, on: ns)
      #expect(second.actions == [])
    }
  }

  @Test func nftablesReplacesAStaleRuleAndLeavesOtherClustersAlone() async throws {
    try await NamespaceConnection.with { ns in
      try await ns.check("nft 'add table inet filter'; nft 'add chain inet filter input { type filter hook input priority 0; policy drop; }'")
      _ = try await Firewall.apply(rules: [peer], cluster: "other", backend: .nftables, dryRun: false, on: ns)
      _ = try await Firewall.apply(rules: [peer], cluster: "c1", backend: .nftables, dryRun: false, on: ns)
      let grown = FirewallRule(purpose: .peer, port: 2380, sources: ["10.9.0.2", "10.9.0.3", "10.9.0.4"])
      let dry = try await Firewall.apply(rules: [grown], cluster: "c1", backend: .nftables, dryRun: true, on: ns)
      #expect(dry.actions.count == 2)
      #expect(dry.actions[0].hasPrefix("nft delete rule inet filter input handle "))
      #expect(try await ns.check("nft list chain inet filter input").contains("10.9.0.4") == false, "dry run must not change rules")
      _ = try await Firewall.apply(rules: [grown], cluster: "c1", backend: .nftables, dryRun: false, on: ns)
      let listing = try await ns.check("nft list chain inet filter input")
      #expect(listing.contains("ip saddr { 10.9.0.2, 10.9.0.3, 10.9.0.4 } accept comment \"\(grown.tag(cluster: "c1"))\""))
      #expect(!listing.contains(peer.tag(cluster: "c1")))
      #expect(listing.contains(peer.tag(cluster: "other")))
    }
  }

  @Test func nftablesDoesNothingWhereNothingIsFiltered() async throws {
    try await NamespaceConnection.with { ns in
      try await ns.check("nft 'add table inet filter'; nft 'add chain inet filter input { type filter hook input priority 0; policy accept; }'")
      let report = try await Firewall.apply(rules: [client, peer], cluster: "c1", backend: .nftables, dryRun: false, on: ns)
      #expect(report.actions == [])
    }
  }

  @Test(.enabled(if: ChildProcess.which("iptables") != nil, "iptables is not installed"))
  func iptablesInsertsTaggedRulesAndReplacesStaleOnes() async throws {
    try await NamespaceConnection.with { ns in
      try await ns.check("iptables -P INPUT DROP")
      let first = try await Firewall.apply(rules: [client, peer], cluster: "c1", backend: .iptables, dryRun: false, on: ns)
      #expect(first.actions.count == 3)
      let listing = try await ns.check("iptables -S INPUT")
      #expect(listing.contains("-A INPUT -s 10.9.0.2/32 -p tcp -m tcp --dport 2380 -m comment --comment \"\(peer.tag(cluster: "c1"))\" -j ACCEPT"))
      #expect(listing.contains("-A INPUT -p tcp -m tcp --dport 2379 -m comment --comment \"\(client.tag(cluster: "c1"))\" -j ACCEPT"))
      #expect(try await Firewall.apply(rules: [client, peer], cluster: "c1", backend: .iptables, dryRun: false, on: ns).actions == [])
      let shrunk = FirewallRule(purpose: .peer, port: 2380, sources: ["10.9.0.2"])
      _ = try await Firewall.apply(rules: [client, shrunk], cluster: "c1", backend: .iptables, dryRun: false, on: ns)
      let after = try await ns.check("iptables -S INPUT")
      #expect(!after.contains("10.9.0.3"))
      #expect(after.components(separatedBy: "swetcd-ops c1").count - 1 == 2)
    }
  }
}

/// Which backend runs, and what the frontends are told, decided from facts without a host.
@Suite struct FirewallPlanningTests {
  func facts(tools: Set<FirewallChoice>, active: Set<FirewallChoice> = []) -> HostFacts {
    var facts = FactsProbe.parse("")
    facts.firewallTools = tools
    facts.activeFirewalls = active
    return facts
  }

  @Test func autoPrefersActiveFrontendsThenNftThenIptables() {
    #expect(Firewall.backend(choice: .auto, facts: facts(tools: [.nftables, .firewalld], active: [.firewalld])) == .firewalld)
    #expect(Firewall.backend(choice: .auto, facts: facts(tools: [.nftables, .ufw], active: [.ufw])) == .ufw)
    #expect(Firewall.backend(choice: .auto, facts: facts(tools: [.nftables, .iptables, .ufw])) == .nftables)
    #expect(Firewall.backend(choice: .auto, facts: facts(tools: [.iptables])) == .iptables)
    #expect(Firewall.backend(choice: .auto, facts: facts(tools: [])) == nil)
    #expect(Firewall.backend(choice: .none, facts: facts(tools: [.nftables])) == nil)
    #expect(Firewall.backend(choice: .iptables, facts: facts(tools: [.nftables])) == .iptables)
  }

  @Test func membersGetPeerRulesFromEachOtherAndClientRulesFromAllowedSources() throws {
    let inventory = try InventoryLoader.parse(yaml: """
      cluster: { name: c, allowed_clients: [10.20.0.0/16] }
      hosts:
        - { name: a, address: 10.0.0.1 }
        - { name: b, address: 10.0.0.2 }
        - { name: c, address: 10.0.0.3 }
      """, file: "i.yml", baseDirectory: "/", home: "/root")
    let rules = FirewallRule.rules(for: inventory.hosts[0], in: inventory, controllerAddress: "10.99.0.1")
    #expect(rules == [
      FirewallRule(purpose: .client, port: 2379, sources: ["10.0.0.2", "10.0.0.3", "10.20.0.0/16", "10.99.0.1"]),
      FirewallRule(purpose: .peer, port: 2380, sources: ["10.0.0.2", "10.0.0.3"]),
    ])
  }

  @Test func firewalldGetsRichRulesPerSourceAndPortsForAnySource() {
    let arguments = FirewalldBackend.arguments(for: [
      FirewallRule(purpose: .client, port: 2379, sources: []),
      FirewallRule(purpose: .peer, port: 2380, sources: ["10.0.0.2", "fd00::2"]),
    ])
    #expect(arguments == [
      "port=2379/tcp",
      "rich-rule='rule family=\"ipv4\" source address=\"10.0.0.2\" port port=\"2380\" protocol=\"tcp\" accept'",
      "rich-rule='rule family=\"ipv6\" source address=\"fd00::2\" port port=\"2380\" protocol=\"tcp\" accept'",
    ])
  }
}
