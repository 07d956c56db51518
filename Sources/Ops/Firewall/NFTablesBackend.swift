import Foundation

/// nftables: our rules go into every `input` filter base chain that filters (policy drop, or a drop/reject rule),
/// placed first, tagged by comment, changed in one atomic `nft -f` transaction.
struct NFTablesBackend: FirewallBackend {
  let kind = FirewallChoice.nftables

  struct Chain: Hashable {
    var family: String
    var table: String
    var name: String
    var filters: Bool
  }

  struct TaggedRule: Hashable {
    var chain: Chain
    var handle: Int
    var comment: String
  }

  func apply(_ rules: [FirewallRule], cluster: String, dryRun: Bool, on host: some HostConnection) async throws(OpsError) -> [String] {
    let json = try await host.check("nft -j list ruleset")
    let (chains, tagged) = Self.parse(json, cluster: cluster)
    var script: [String] = []
    for chain in chains where chain.filters {
      let desired = Self.statements(for: rules, cluster: cluster, family: chain.family)
      let existing = tagged.filter { $0.chain == chain }
      if existing.map(\.comment).sorted() == desired.map(\.comment).sorted() { continue }
      for rule in existing { script.append("delete rule \(chain.family) \(chain.table) \(chain.name) handle \(rule.handle)") }
      for statement in desired { script.append("insert rule \(chain.family) \(chain.table) \(chain.name) \(statement.text)") }
    }
    guard !script.isEmpty else { return [] }
    if !dryRun {
      try await host.check("nft -f -", stdin: Data((script.joined(separator: "\n") + "\n").utf8))
    }
    return script.map { "nft \($0)" }
  }

  /// The nft rule statements for `rules` in a chain of `family` (ip, ip6 or inet).
  static func statements(for rules: [FirewallRule], cluster: String, family: String) -> [(text: String, comment: String)] {
    var result: [(String, String)] = []
    for rule in rules {
      let tag = rule.tag(cluster: cluster)
      let accept = "accept comment \"\(tag)\""
      if rule.sources.isEmpty {
        result.append(("tcp dport \(rule.port) \(accept)", tag))
        continue
      }
      if family != "ip6", !rule.ipv4Sources.isEmpty {
        result.append(("tcp dport \(rule.port) ip saddr { \(rule.ipv4Sources.joined(separator: ", ")) } \(accept)", tag))
      }
      if family != "ip", !rule.ipv6Sources.isEmpty {
        result.append(("tcp dport \(rule.port) ip6 saddr { \(rule.ipv6Sources.joined(separator: ", ")) } \(accept)", tag))
      }
    }
    return result
  }

  /// Reads `nft -j list ruleset`: the input filter base chains (and whether each filters) and our tagged rules.
  static func parse(_ json: String, cluster: String) -> (chains: [Chain], tagged: [TaggedRule]) {
    guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
          let items = root["nftables"] as? [[String: Any]] else { return ([], []) }
    var chains: [Chain] = []
    for item in items {
      guard let chain = item["chain"] as? [String: Any], chain["hook"] as? String == "input",
            (chain["type"] as? String ?? "filter") == "filter",
            let family = chain["family"] as? String, let table = chain["table"] as? String,
            let name = chain["name"] as? String else { continue }
      chains.append(Chain(family: family, table: table, name: name, filters: chain["policy"] as? String == "drop"))
    }
    var tagged: [TaggedRule] = []
    let prefix = "swetcd-ops \(cluster) "
    for item in items {
      guard let rule = item["rule"] as? [String: Any], let family = rule["family"] as? String,
            let table = rule["table"] as? String, let chainName = rule["chain"] as? String,
            let index = chains.firstIndex(where: { $0.family == family && $0.table == table && $0.name == chainName })
      else { continue }
      let expressions = rule["expr"] as? [[String: Any]] ?? []
      if expressions.contains(where: { $0["drop"] != nil || $0["reject"] != nil }) { chains[index].filters = true }
      if let comment = rule["comment"] as? String, comment.hasPrefix(prefix), let handle = rule["handle"] as? Int {
        tagged.append(TaggedRule(chain: chains[index], handle: handle, comment: comment))
      }
    }
    // A chain's `filters` may have changed after rules were tagged with its earlier value.
    tagged = tagged.map { rule in
      var rule = rule
      rule.chain = chains.first { $0.family == rule.chain.family && $0.table == rule.chain.table && $0.name == rule.chain.name } ?? rule.chain
      return rule
    }
    return (chains, tagged)
  }
}
