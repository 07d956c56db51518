import Foundation

/// How `restart`, `upgrade` and `defrag` run.
public struct RollingOptions: Sendable {
  /// Only these inventory hosts (by name); nil means every member in the inventory.
  public var hosts: [String]?
  /// Print the plan (cluster table, order, quorum arithmetic) and change nothing.
  public var dryRun = false
  /// Asks before acting (`--yes` skips it; without a terminal it refuses).
  public var confirmation: Confirmation
  /// How long a member may take to be healthy and caught up after its step.
  public var gateTimeout: Duration = .seconds(120)
  /// Record unknown host keys in known_hosts instead of refusing them.
  public var acceptNewHostKeys = false
  /// Where the default swetcd/swetcdctl binaries are (this tool's own folder).
  public var binaryDirectory: String

  public init(confirmation: Confirmation, binaryDirectory: String) {
    self.confirmation = confirmation
    self.binaryDirectory = binaryDirectory
  }

  /// The inventory hosts named by `hosts` (all when nil), in inventory order.
  /// - Throws: `OpsError.refused` naming hosts the inventory does not have.
  public func targets(in inventory: Inventory) throws(OpsError) -> [HostSpec] {
    try inventory.selectHosts(named: hosts, flag: "--hosts")
  }
}
