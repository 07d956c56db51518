extension Inventory {
  /// The inventory hosts named by a command's host filter (all of them when `names` is nil), in inventory order.
  /// - Parameter flag: the option that gave the names (`--hosts`, `--on`), for the refusal.
  /// - Throws: `OpsError.refused` naming the hosts the inventory does not have, and the ones it has.
  func selectHosts(named names: [String]?, flag: String) throws(OpsError) -> [HostSpec] {
    guard let names else { return hosts }
    let unknown = names.filter { name in !hosts.contains { $0.name == name } }
    if !unknown.isEmpty {
      throw .refused(reason: "\(flag) names \(unknown.joined(separator: ", ")), which the inventory does not list (it has \(hosts.map(\.name).joined(separator: ", ")))")
    }
    return hosts.filter { names.contains($0.name) }
  }
}
