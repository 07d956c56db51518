import ArgumentParser
import BuildInfo
import Foundation
import Ops

/// swetcd-ops: deploys and operates swetcd (or upstream etcd) clusters from an inventory file, over SSH.
/// Exit status: 0 success (cluster healthy), 1 operation failed, 2 inventory or usage error.
@main
struct SwetcdOps: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcd-ops",
    abstract: "Deploy and operate swetcd or etcd clusters from an inventory, over SSH.",
    discussion: "Exit status: 0 when the cluster is healthy, 1 when the operation failed, 2 for inventory or usage errors. Restore, upgrade and the membership commands are not built yet.",
    version: "swetcd-ops version: \(BuildInfo.version)",
    subcommands: [Deploy.self, Status.self, Health.self, BackupCommand.self, InventoryCommand.self, Version.self]
  )

  /// ArgumentParser's own usage errors exit 64; ours promise 2.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      exit(withError: error)
    }
  }
}

struct Deploy: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Take the inventory's hosts to a healthy cluster; re-running changes nothing.",
    discussion: "Phases: \(DeployPhase.allCases.map(\.rawValue).joined(separator: ", ")). Facts are always gathered.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Flag(help: "Print the plan with diffs of every file and the quorum arithmetic; change nothing.") var dryRun = false
  @Option(help: "Run only these phases (comma-separated).") var only: String?
  @Option(help: "Skip these phases (comma-separated).") var skip: String?
  @Flag(help: "Record unknown host keys in known_hosts (a changed key is always refused).") var acceptNewHostKeys = false
  @Option(help: "Folder of templates to render instead of the shipped ones.") var templates: String?
  @Option(help: "Seconds to wait for every member to be healthy.") var healthTimeout: Int = 120

  func validate() throws {
    for list in [only, skip].compactMap({ $0 }) { _ = try Self.phases(list) }
  }

  static func phases(_ list: String) throws -> Set<DeployPhase> {
    Set(try list.split(separator: ",").map { name in
      guard let phase = DeployPhase(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("unknown phase \"\(name)\"; phases are: \(DeployPhase.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return phase
    })
  }

  func run() async throws {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    var options = DeployOptions(defaultBinaryDirectory: executable)
    options.dryRun = dryRun
    options.only = try only.map(Self.phases)
    options.skip = try skip.map(Self.phases) ?? []
    options.acceptNewHostKeys = acceptNewHostKeys
    options.healthTimeout = .seconds(healthTimeout)
    let code = await OpsCommands.deploy(inventoryPath: inventory, options: options, templatesDirectory: templates)
    throw ExitCode(code)
  }
}

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
    let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    throw ExitCode(await OpsCommands.backup(inventoryPath: inventory, options: options, binaryDirectory: binaries))
  }
}

struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Show every member: ID, version, leader, raft index, db size, health.")
  @Argument(help: "The inventory YAML file.") var inventory: String
  func run() async throws { throw ExitCode(await OpsCommands.status(inventoryPath: inventory)) }
}

struct Health: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Check every member's health as etcdctl endpoint health does.")
  @Argument(help: "The inventory YAML file.") var inventory: String
  func run() async throws { throw ExitCode(await OpsCommands.health(inventoryPath: inventory)) }
}

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Prints the version of swetcd-ops.")
  func run() { print("swetcd-ops version: \(BuildInfo.version)") }
}

struct InventoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inventory", abstract: "Work with inventory files.", subcommands: [Check.self])

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate an inventory file and show the members it describes.",
      discussion: "Every problem is reported as file:line:column with the field and what to do. Exit status 2 when there are errors.")

    @Argument(help: "The inventory YAML file.") var inventory: String

    func run() throws {
      do {
        print(InventorySummary.render(try InventoryLoader.load(path: inventory)))
      } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(2)
      }
    }
  }
}
