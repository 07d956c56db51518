import EtcdClient
import Foundation

/// The operations behind swetcd-ops' commands, with their exit statuses: 0 success (cluster healthy),
/// 1 the operation failed, 2 inventory or usage error.
public enum OpsCommands {
  /// Loads the inventory, printing its errors (and returning nil) when it is unusable.
  public static func loadInventory(_ path: String) -> Inventory? {
    do {
      let inventory = try InventoryLoader.load(path: path)
      for warning in inventory.warnings { printError(warning.description) }
      return inventory
    } catch {
      printError(error.description)
      return nil
    }
  }

  public static func deploy(inventoryPath: String, options: DeployOptions, templatesDirectory: String?) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    let templates: TemplateSet
    do { templates = try TemplateSet.locate(override: templatesDirectory) } catch {
      printError(error.description)
      return 2
    }
    let header = options.dryRun ? "Plan (dry run: nothing is changed)" : "Deploying"
    printOut("\(header): cluster \(inventory.cluster.name), \(inventory.hosts.count) member(s), server \(inventory.cluster.server.rawValue), TLS \(inventory.cluster.tls ? "on" : "off")")
    let result = await Deployer(inventory: inventory, options: options, templates: templates, reporter: ProgressReporter()).run()
    return result.succeeded ? 0 : 1
  }

  /// `backup`: a verified snapshot with a manifest, then retention.
  public static func backup(inventoryPath: String, options: Backup.Options, binaryDirectory: String) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    do {
      _ = try await Backup(inventory: inventory, options: options, binaryDirectory: binaryDirectory).run { printOut($0) }
      return 0
    } catch {
      printError("backup failed: \(error.description)")
      return 1
    }
  }

  /// `status`: the summary table of every member.
  public static func status(inventoryPath: String) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    let summary = await ClusterProbe(inventory: inventory).summary()
    printOut(summary.table)
    return summary.healthy ? 0 : 1
  }

  /// `health`: one line per member in etcdctl's words.
  public static func health(inventoryPath: String) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    let client: EtcdClient
    do { client = try ClusterProbe(inventory: inventory).client() } catch {
      printError("cannot build a client for the inventory's endpoints: \(error.description)")
      return 2
    }
    let health = await client.closing { client in await client.healthOfAll() }
    for result in health {
      let took = String(format: "%.3fms", result.took.fractionalSeconds * 1000)
      if result.isHealthy {
        printOut("\(result.endpoint) is healthy: successfully committed proposal: took = \(took)")
      } else {
        printOut("\(result.endpoint) is unhealthy: failed to commit proposal: \(result.error ?? "unknown error")")
      }
    }
    return health.allSatisfy(\.isHealthy) ? 0 : 1
  }

  /// Unbuffered, like the progress reporter, so lines keep their order.
  static func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }

  static func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}
