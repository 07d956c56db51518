import ArgumentParser
import Foundation
import Ops

struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Save a SHA-256-verified snapshot of the cluster with a JSON manifest, then apply retention.",
    discussion: "Files are named <cluster>-<UTC time>-rev<revision>.db, taken from the leader unless --member is given.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(help: "Folder for backups (default: backups/<cluster> beside the inventory).") var to: String?
  @Option(help: "Keep only this many newest backups in the folder.") var keep: Int?
  @Option(help: "Delete backups older than this many days (the newest is always kept).") var maxAgeDays: Int?
  @Option(help: "Take the snapshot from this member instead of the leader.") var member: String?
  @Flag(help: "Test-restore the snapshot into a scratch data dir and count its keys.") var verify = false

  func validate() throws {
    if let keep, keep < 1 { throw ValidationError("--keep must be at least 1 (the new backup is always kept)") }
    if let maxAgeDays, maxAgeDays < 1 { throw ValidationError("--max-age-days must be at least 1") }
  }

  func run() async throws {
    var options = Backup.Options()
    options.directory = to
    options.keep = keep
    options.maxAgeDays = maxAgeDays
    options.member = member
    options.verify = verify
    let binaries = OpsCLI.binaryDirectory
    throw ExitCode(await OpsCommands.backup(inventoryPath: inventory, options: options, binaryDirectory: binaries))
  }
}
