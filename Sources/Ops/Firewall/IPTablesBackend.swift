/// iptables/ip6tables: rules inserted at the top of INPUT when INPUT filters (policy DROP or a DROP/REJECT rule),
/// tagged by comment; stale tagged rules are deleted.
struct IPTablesBackend: FirewallBackend {
  let kind = FirewallChoice.iptables

  func apply(_ rules: [FirewallRule], cluster: String, dryRun: Bool, on host: some HostConnection) async throws(OpsError) -> [String] {
    var actions: [String] = []
    for (tool, ipv6) in [("iptables", false), ("ip6tables", true)] {
      let listing = try await host.run("\(tool) -S INPUT", stdin: nil, timeout: .seconds(30))
      guard listing.status == 0 else {
        if ipv6 { continue }  // no IPv6 support on the host
        throw .commandFailed(host: host.hostName, command: "\(tool) -S INPUT", status: listing.status, stderr: listing.stderr)
      }
      let lines = listing.stdout.split(separator: "\n").map(String.init)
      let filters = lines.contains("-P INPUT DROP") || lines.contains { $0.contains("-j DROP") || $0.contains("-j REJECT") }
      guard filters else { continue }
      let ours = lines.filter { $0.hasPrefix("-A INPUT ") && $0.contains("--comment \"swetcd-ops \(cluster) ") }
      let desired = Self.specs(for: rules, cluster: cluster, ipv6: ipv6)
      let existingTags = ours.compactMap(Self.tag(in:)).sorted()
      if existingTags == desired.map(\.tag).sorted() { continue }
      var commands = ours.map { "\(tool) -D" + $0.dropFirst(2) }
      commands += desired.map { "\(tool) -I INPUT \($0.spec)" }
      actions += commands
      if !dryRun {
        for command in commands { try await host.check(command) }
      }
    }
    return actions
  }

  static func specs(for rules: [FirewallRule], cluster: String, ipv6: Bool) -> [(spec: String, tag: String)] {
    rules.flatMap { rule -> [(String, String)] in
      let tag = rule.tag(cluster: cluster)
      let tail = "-p tcp -m tcp --dport \(rule.port) -m comment --comment \"\(tag)\" -j ACCEPT"
      if rule.sources.isEmpty { return [(tail, tag)] }
      let sources = ipv6 ? rule.ipv6Sources : rule.ipv4Sources
      return sources.map { ("-s \($0) \(tail)", tag) }
    }
  }

  static func tag(in line: String) -> String? {
    guard let start = line.range(of: "--comment \"")?.upperBound, let end = line[start...].firstIndex(of: "\"") else { return nil }
    return String(line[start..<end])
  }
}
