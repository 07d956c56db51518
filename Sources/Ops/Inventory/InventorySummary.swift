/// Human-readable summary of a loaded inventory, printed by `swetcd-ops inventory check`.
public enum InventorySummary {
  public static func render(_ inventory: Inventory) -> String {
    let cluster = inventory.cluster
    var lines = ["\(inventory.file): ok: cluster \(cluster.name) (server \(cluster.server.rawValue), TLS \(cluster.tls ? "on" : "off"), token \(cluster.token))"]
    let quorum = inventory.hosts.count / 2 + 1
    lines.append("\(inventory.hosts.count) member(s), quorum \(quorum), tolerates \(inventory.hosts.count - quorum) failure(s)")
    let rows = [["HOST", "ADDRESS", "CONNECTION", "CLIENT", "PEER", "DATA DIR"]] + inventory.hosts.map {
      [$0.name, $0.address, $0.connection == .local ? "local" : "ssh \($0.ssh.user)@:\($0.ssh.port)",
       String($0.node.clientPort), String($0.node.peerPort), $0.node.dataDirectory]
    }
    lines += TextTable.render(rows)
    lines += inventory.warnings.map(\.description)
    return lines.joined(separator: "\n")
  }
}

/// Left-aligned columns separated by two spaces.
enum TextTable {
  static func render(_ rows: [[String]]) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { index, cell in
        index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }
  }
}
