import ArgumentParser
import Foundation
import Ops

struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Save a SHA-256-verified snapshot of the cluster with a JSON manifest, then apply retention.",
    discussion: """
      Files are named <cluster>-<UTC time>-rev<revision>.db, taken from the leader unless --member is given.
      --schedule SPEC installs a systemd timer (and, where systemd does not run, a cron entry) on the hosts that
      snapshots each member into backup_dir on its host, keeping the newest --keep (default 7); --unschedule
      removes it. --data-dir-copy stops one follower (only while the others keep quorum), archives its data dir,
      starts it again and fetches the archive as <cluster>-<UTC time>-<host>-datadir.tar.gz with a manifest.
      """)

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(help: "Folder for backups on this machine (default: backups/<cluster> beside the inventory).") var to: String?
  @Option(help: "Keep only this many newest backups (with --schedule: per host, default 7).") var keep: Int?
  @Option(help: "Delete backups older than this many days (the newest is always kept).") var maxAgeDays: Int?
  @Option(help: "Take the snapshot (or the data-dir copy) from this member.") var member: String?
  @Flag(help: "Test-restore the snapshot into a scratch data dir and count its keys.") var verify = false
  @Option(help: "Install scheduled backups on the hosts: hourly, daily, weekly or a systemd OnCalendar expression.")
  var schedule: String?
  @Flag(help: "Remove the scheduled backups from the hosts (snapshots already taken stay).") var unschedule = false
  @Option(help: "With --schedule/--unschedule: only these hosts (comma-separated; default every member).") var on: String?
  @Flag(help: "Copy one follower's data dir: stop it, tar it on its host, start it, fetch the archive.") var dataDirCopy = false
  @Flag(help: "With --schedule, --unschedule or --data-dir-copy: show the plan and diffs; change nothing.") var dryRun = false
  @OptionGroup var confirm: ConfirmationFlags
  @OptionGroup var hostKeys: HostKeyFlags

  func validate() throws {
    if let keep, keep < 1 { throw ValidationError("--keep must be at least 1 (the new backup is always kept)") }
    if let maxAgeDays, maxAgeDays < 1 { throw ValidationError("--max-age-days must be at least 1") }
    let modes = [schedule != nil ? "--schedule" : nil, unschedule ? "--unschedule" : nil, dataDirCopy ? "--data-dir-copy" : nil].compactMap { $0 }
    if modes.count > 1 { throw ValidationError("\(modes.joined(separator: " and ")) cannot be combined; run them one at a time") }
    if let schedule, schedule.trimmingCharacters(in: .whitespaces).isEmpty {
      throw ValidationError("--schedule needs hourly, daily, weekly or a systemd OnCalendar expression such as \"*-*-* 02:30\"")
    }
    let hostModes = schedule != nil || unschedule
    if on != nil, !hostModes { throw ValidationError("--on applies to --schedule and --unschedule; use --member to pick the snapshot's member") }
    if let on, CommaList.parse(on).isEmpty { throw ValidationError("--on needs host names, comma-separated") }
    if modes.isEmpty, dryRun { throw ValidationError("--dry-run applies to --schedule, --unschedule and --data-dir-copy") }
    if !modes.isEmpty, verify || maxAgeDays != nil {
      throw ValidationError("--verify and --max-age-days apply to snapshots taken from here, not to \(modes[0])")
    }
    if hostModes, to != nil { throw ValidationError("--to is this machine's folder; scheduled snapshots go to backup_dir on each host (set it in the inventory)") }
    if hostModes, member != nil { throw ValidationError("--member picks one member for a snapshot or --data-dir-copy; use --on HOST with \(modes[0])") }
    if unschedule, keep != nil { throw ValidationError("--keep does not apply to --unschedule") }
    if dataDirCopy, keep != nil { throw ValidationError("--keep does not apply to --data-dir-copy") }
  }

  func run() async throws {
    let binaries = OpsCLI.binaryDirectory
    if schedule != nil || unschedule {
      var options = BackupSchedule.Options()
      if let schedule { options.spec = schedule }
      if let keep { options.keep = keep }
      options.hosts = on.map(CommaList.parse)
      options.dryRun = dryRun
      options.acceptNewHostKeys = hostKeys.acceptNewHostKeys
      if unschedule {
        throw ExitCode(await OpsCommands.unscheduleBackup(inventoryPath: inventory, options: options, binaryDirectory: binaries,
                                                         confirmation: confirm.confirmation))
      }
      throw ExitCode(await OpsCommands.scheduleBackup(inventoryPath: inventory, options: options, binaryDirectory: binaries))
    }
    if dataDirCopy {
      var options = DataDirCopy.Options()
      options.member = member
      options.directory = to
      options.dryRun = dryRun
      options.acceptNewHostKeys = hostKeys.acceptNewHostKeys
      throw ExitCode(await OpsCommands.copyDataDirectory(inventoryPath: inventory, options: options, binaryDirectory: binaries,
                                                        confirmation: confirm.confirmation))
    }
    var options = Backup.Options()
    options.directory = to
    options.keep = keep
    options.maxAgeDays = maxAgeDays
    options.member = member
    options.verify = verify
    throw ExitCode(await OpsCommands.backup(inventoryPath: inventory, options: options, binaryDirectory: binaries))
  }
}
