import Foundation

extension OpsCommands {
  /// `backup --schedule`: puts the timer, service, script (and, without systemd, the cron entry) on the hosts.
  /// - Returns: 0 in place (changed or not), 1 failed, 2 inventory/usage error (e.g. an unknown `--on` host).
  public static func scheduleBackup(inventoryPath: String, options: BackupSchedule.Options, binaryDirectory: String) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath), let schedule = makeSchedule(inventory, options, binaryDirectory) else { return 2 }
    printOut("\(options.dryRun ? "Plan (dry run: nothing is changed)" : "Scheduling backups"): cluster \(inventory.cluster.name), schedule \(options.spec), keep \(options.keep) per host, into \(inventory.cluster.backupDirectory) on each host")
    do {
      let outcome = try await schedule.schedule { printOut($0) }
      if outcome.changedHosts.isEmpty {
        printOut("nothing changed: the schedule is already in place on \(outcome.active.keys.sorted().joined(separator: ", "))")
      } else {
        printOut("\(options.dryRun ? "would change" : "changed") \(outcome.changedHosts.joined(separator: ", "))")
      }
      return 0
    } catch {
      printError("backup --schedule failed: \(error.description)")
      return 1
    }
  }

  /// `backup --unschedule`: removes them after confirmation (`--yes`); snapshots already taken stay.
  /// - Returns: 0 removed (or nothing to remove), 1 failed or not confirmed, 2 inventory/usage error.
  public static func unscheduleBackup(inventoryPath: String, options: BackupSchedule.Options, binaryDirectory: String,
                                      confirmation: Confirmation) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath), let schedule = makeSchedule(inventory, options, binaryDirectory) else { return 2 }
    do {
      let hosts = try await schedule.unschedule(confirmation: confirmation) { printOut($0) }
      if !hosts.isEmpty { printOut(options.dryRun ? "would unschedule backups on \(hosts.joined(separator: ", "))" : "unscheduled backups on \(hosts.joined(separator: ", "))") }
      return 0
    } catch {
      printError("backup --unschedule failed: \(error.description)")
      return 1
    }
  }

  /// `backup --data-dir-copy`: stops one follower (quorum permitting), archives its data dir, starts it again and
  /// fetches the archive with a manifest. Returns 0 saved (or planned), 1 failed/refused/not confirmed, 2 usage.
  public static func copyDataDirectory(inventoryPath: String, options: DataDirCopy.Options, binaryDirectory: String,
                                       confirmation: Confirmation) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    if let name = options.member, inventory.host(named: name) == nil {
      printError("--member \(name) is not in the inventory (it has \(inventory.hosts.map(\.name).joined(separator: ", ")))")
      return 2
    }
    do {
      _ = try await DataDirCopy(inventory: inventory, options: options, binaryDirectory: binaryDirectory).run(confirmation: confirmation) { printOut($0) }
      if options.dryRun { printOut("dry run: nothing was stopped or changed") }
      return 0
    } catch {
      printError("backup --data-dir-copy failed: \(error.description)")
      return 1
    }
  }

  private static func makeSchedule(_ inventory: Inventory, _ options: BackupSchedule.Options, _ binaryDirectory: String) -> BackupSchedule? {
    let templates: TemplateSet
    do { templates = try TemplateSet.locate() } catch {
      printError(error.description)
      return nil
    }
    let schedule = BackupSchedule(inventory: inventory, options: options, templates: templates, binaryDirectory: binaryDirectory)
    do { _ = try schedule.targetHosts() } catch {
      printError(error.description)
      return nil
    }
    return schedule
  }
}
