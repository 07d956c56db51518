import ArgumentParser
import Foundation
import Ops

/// Options shared by the one-member-at-a-time commands.
struct RollingArguments: ParsableArguments {
  @OptionGroup var plan: PlanFlags
  @OptionGroup var hostKeys: HostKeyFlags

  /// - Parameter hosts: the names `--hosts` gave (nil: every member).
  func options(hosts: [String]?, confirmation: Confirmation) -> RollingOptions {
    var options = RollingOptions(confirmation: confirmation, binaryDirectory: OpsCLI.binaryDirectory)
    options.hosts = hosts
    options.dryRun = plan.dryRun
    options.gateTimeout = .seconds(plan.healthTimeout)
    options.acceptNewHostKeys = hostKeys.acceptNewHostKeys
    return options
  }
}

struct RestartCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restart",
    abstract: "Restart the members one at a time, keeping quorum (followers first, the leader last).",
    discussion: "Before each member the whole cluster must be healthy; after it the member must be healthy and caught up with the leader's raft index, else the run stops and says how to resume. Asks for confirmation (--yes to skip; without a terminal it refuses).")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @OptionGroup var hosts: HostFilterOption
  @OptionGroup var confirm: ConfirmationFlags
  @OptionGroup var rolling: RollingArguments

  func run() async throws {
    throw ExitCode(await OpsCommands.restart(inventoryPath: inventory, options: rolling.options(hosts: hosts.names, confirmation: confirm.confirmation)))
  }
}

struct UpgradeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "upgrade",
    abstract: "Move the members to a new server build one at a time, keeping quorum (the leader last).",
    discussion: "--binary PATH pushes that file (and --ctl-binary's); --version V takes <inventory folder>/releases/V/<etcd|swetcd> (and its ctl beside it) and checks afterwards that every member reports version V. Each member's binary is pushed (when its SHA-256 differs) just before it restarts; members already running the new build are skipped, so a stopped upgrade resumes by running it again.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(help: "The new server binary.") var binary: String?
  @Option(help: "The new ctl binary (with --binary).") var ctlBinary: String?
  @Option(help: "A release under <inventory folder>/releases/<version>/; every member must report it afterwards.") var version: String?
  @OptionGroup var confirm: ConfirmationFlags
  @OptionGroup var rolling: RollingArguments

  func validate() throws {
    switch (binary, version) {
    case (nil, nil): throw ValidationError("give the new build: --binary PATH or --version V")
    case (.some, .some): throw ValidationError("give either --binary or --version, not both")
    default: break
    }
    if ctlBinary != nil, binary == nil { throw ValidationError("--ctl-binary goes with --binary (--version takes the ctl from the release folder)") }
  }

  func run() async throws {
    let source: UpgradeSource = if let binary { .binary(server: binary, ctl: ctlBinary) } else { .version(version ?? "") }
    throw ExitCode(await OpsCommands.upgrade(inventoryPath: inventory, source: source, options: rolling.options(hosts: nil, confirmation: confirm.confirmation)))
  }
}

struct DefragCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "defrag",
    abstract: "Defragment the members one at a time (the leader last), printing each one's database size before and after.",
    discussion: "The whole cluster must be healthy before each member, and the member healthy again after it.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @OptionGroup var hosts: HostFilterOption
  @OptionGroup var rolling: RollingArguments

  func run() async throws {
    throw ExitCode(await OpsCommands.defrag(inventoryPath: inventory, options: rolling.options(hosts: hosts.names, confirmation: Confirmation(assumeYes: true))))
  }
}

struct CompactCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compact",
    abstract: "Discard the key-value history before a revision (default: the current revision), physically.",
    discussion: "Reads, watches and backups at older revisions fail afterwards, so it asks for confirmation (--yes to skip; without a terminal it refuses). Run defrag afterwards to return the space to the filesystem.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(help: "Compact the history before this revision.") var revision: Int64?
  @Option(help: "Keep the newest N revisions readable; compact the older ones.") var keepRevisions: Int64?
  @Flag(help: "Print what would be compacted; change nothing.") var dryRun = false
  @Flag(help: "Do not ask for confirmation.") var yes = false

  func validate() throws {
    if revision != nil, keepRevisions != nil { throw ValidationError("give either --revision or --keep-revisions, not both") }
    if let revision, revision < 1 { throw ValidationError("--revision must be at least 1") }
    if let keepRevisions, keepRevisions < 1 { throw ValidationError("--keep-revisions must be at least 1 (the current revision always stays)") }
  }

  func run() async throws {
    var options = Compactor.Options(confirmation: Confirmation(assumeYes: yes))
    options.revision = revision
    options.keepRevisions = keepRevisions
    options.dryRun = dryRun
    throw ExitCode(await OpsCommands.compact(inventoryPath: inventory, options: options))
  }
}
