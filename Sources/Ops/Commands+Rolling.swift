import Foundation

/// `restart`, `upgrade`, `defrag` and `compact`: exit 0 when done (or planned) and the cluster is healthy, 1 when
/// refused, not confirmed or stopped, 2 for inventory or usage errors.
extension OpsCommands {
  /// `restart`: a rolling restart keeping quorum.
  public static func restart(inventoryPath: String, options: RollingOptions) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    guard usable(options, in: inventory) else { return 2 }
    return await report("restart") { () async throws(OpsError) in
      try await RollingRestart(inventory: inventory, options: options).run { printOut($0) }
    }
  }

  /// `upgrade`: a rolling restart onto a new build, pushed just before each member restarts.
  public static func upgrade(inventoryPath: String, source: UpgradeSource, options: RollingOptions) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    guard usable(options, in: inventory) else { return 2 }
    let binaries: UpgradeBinaries
    do { binaries = try UpgradeBinaries.resolve(source, inventory: inventory) } catch {
      printError(error.description)
      return 2
    }
    return await report("upgrade") { () async throws(OpsError) in
      try await RollingRestart(inventory: inventory, options: options, upgrade: binaries).run { printOut($0) }
    }
  }

  /// `defrag`: one member at a time, sizes before and after.
  public static func defrag(inventoryPath: String, options: RollingOptions) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    guard usable(options, in: inventory) else { return 2 }
    return await report("defrag") { () async throws(OpsError) in
      _ = try await Defragmenter(inventory: inventory, options: options).run { printOut($0) }
    }
  }

  /// `compact`: physical compaction, after confirmation.
  public static func compact(inventoryPath: String, options: Compactor.Options) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    return await report("compact") { () async throws(OpsError) in
      _ = try await Compactor(inventory: inventory, options: options).run { printOut($0) }
    }
  }

  /// --hosts must name inventory hosts (a usage error otherwise).
  private static func usable(_ options: RollingOptions, in inventory: Inventory) -> Bool {
    do {
      _ = try options.targets(in: inventory)
      return true
    } catch {
      printError(error.description)
      return false
    }
  }

  private static func report(_ command: String, _ body: () async throws(OpsError) -> Void) async -> Int32 {
    do {
      try await body()
      return 0
    } catch {
      printError("\(command): \(error.description)")
      return 1
    }
  }
}
