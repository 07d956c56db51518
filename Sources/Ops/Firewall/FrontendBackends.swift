/// firewalld: permanent rules (a port, or rich rules per source), then a reload. Adding is idempotent and each
/// rule is queried first, so a re-run reports nothing. Rules of a previous inventory are not removed.
struct FirewalldBackend: FirewallBackend {
  let kind = FirewallChoice.firewalld

  func apply(_ rules: [FirewallRule], cluster: String, dryRun: Bool, on host: some HostConnection) async throws(OpsError) -> [String] {
    var actions: [String] = []
    for argument in Self.arguments(for: rules) {
      let query = try await host.run("firewall-cmd --permanent --query-\(argument)", stdin: nil, timeout: .seconds(30))
      if query.status == 0 { continue }
      actions.append("firewall-cmd --permanent --add-\(argument)")
    }
    guard !actions.isEmpty else { return [] }
    actions.append("firewall-cmd --reload")
    if !dryRun { for action in actions { try await host.check(action) } }
    return actions
  }

  static func arguments(for rules: [FirewallRule]) -> [String] {
    rules.flatMap { rule -> [String] in
      if rule.sources.isEmpty { return ["port=\(rule.port)/tcp"] }
      return rule.sources.map { source in
        let family = source.contains(":") ? "ipv6" : "ipv4"
        return "rich-rule=" + shellQuote("rule family=\"\(family)\" source address=\"\(source)\" port port=\"\(rule.port)\" protocol=\"tcp\" accept")
      }
    }
  }
}

/// ufw: one `allow` per source, skipped when `ufw show added` already lists it. Rules of a previous inventory are
/// not removed.
struct UFWBackend: FirewallBackend {
  let kind = FirewallChoice.ufw

  func apply(_ rules: [FirewallRule], cluster: String, dryRun: Bool, on host: some HostConnection) async throws(OpsError) -> [String] {
    let added = try await host.check("ufw show added")
    var actions: [String] = []
    for rule in rules {
      let sources = rule.sources.isEmpty ? ["any"] : rule.sources
      for source in sources {
        let rule = "allow from \(source) to any port \(rule.port) proto tcp"
        if added.contains("ufw \(rule)") { continue }
        actions.append("ufw \(rule) comment \(shellQuote("swetcd-ops \(cluster)"))")
      }
    }
    if !dryRun { for action in actions { try await host.check(action) } }
    return actions
  }
}
