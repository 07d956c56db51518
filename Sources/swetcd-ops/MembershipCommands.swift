import ArgumentParser
import Foundation
import Ops

/// Flags every membership and restore command takes.
struct ChangeFlags: ParsableArguments {
  @OptionGroup var plan: PlanFlags
  @OptionGroup var confirm: ConfirmationFlags
  @Flag(help: "Skip the snapshot taken before the change.") var noBackup = false
  @Option(help: "Folder for that snapshot (default: backups/<cluster> beside the inventory).") var backupDir: String?
  @OptionGroup var hostKeys: HostKeyFlags
  @Option(help: "Folder of templates to render instead of the shipped ones.") var templates: String?

  var options: MembershipOptions {
    var options = MembershipOptions(binaryDirectory: OpsCLI.binaryDirectory, confirmation: confirm.confirmation)
    options.dryRun = plan.dryRun
    options.backupFirst = !noBackup
    options.backupDirectory = backupDir
    options.acceptNewHostKeys = hostKeys.acceptNewHostKeys
    options.healthTimeout = .seconds(plan.healthTimeout)
    options.templatesDirectory = templates
    return options
  }
}

struct AddMember: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add-member",
    abstract: "Join inventory hosts to the running cluster one at a time, each as a learner first, then promoted.",
    discussion: "Each host: preflight, data dir emptied (moved aside), files with initial-cluster-state existing, MemberAdd as learner, start, catch up, promote, health. A failed learner is removed again. A snapshot is taken first.")

  @Argument(help: "The inventory YAML file (listing the new hosts).") var inventory: String
  @Option(name: .customLong("host"), help: "A host to add (repeat for several; they join in this order).") var hosts: [String] = []
  @Option(help: "Seconds a learner may take to catch up before it is rolled back.") var catchUpTimeout: Int = 300
  @OptionGroup var flags: ChangeFlags

  func validate() throws {
    if hosts.isEmpty { throw ValidationError("name the host(s) to add with --host NAME") }
  }

  func run() async throws {
    var adjusted = flags.options
    adjusted.catchUpTimeout = .seconds(catchUpTimeout)
    let options = adjusted
    let names = hosts.flatMap(CommaList.parse)
    throw ExitCode(await OpsCommands.runMembershipChange(inventoryPath: inventory) { inventory, say throws(OpsError) in
      try await MemberAdder(inventory: inventory, hostNames: names, options: options, say: say).run()
    })
  }
}

struct RemoveMember: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove-member",
    abstract: "Remove a member without breaking quorum: leadership moved away first, then stopped and its data moved aside.",
    discussion: "A dead host is removed from the membership without SSH; --id removes a member the inventory does not list.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(help: "The inventory host to remove.") var host: String?
  @Option(help: "The member ID (hex, as etcdctl prints it) to remove instead.") var id: String?
  @OptionGroup var flags: ChangeFlags

  func validate() throws {
    if (host == nil) == (id == nil) { throw ValidationError("give exactly one of --host NAME or --id MEMBER_ID") }
    if let id, UInt64(id, radix: 16) == nil { throw ValidationError("--id \(id) is not a hex member ID (e.g. 8e9e05c52164694d)") }
  }

  func run() async throws {
    let target: MemberRemover.Target = host.map { .host($0) } ?? .id(UInt64(id ?? "", radix: 16) ?? 0)
    let options = flags.options
    throw ExitCode(await OpsCommands.runMembershipChange(inventoryPath: inventory) { inventory, say throws(OpsError) in
      try await MemberRemover(inventory: inventory, target: target, options: options, say: say).run()
    })
  }
}

struct ReplaceMember: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replace-member",
    abstract: "Add a new host (learner first), then remove the old member.")

  @Argument(help: "The inventory YAML file (listing both hosts).") var inventory: String
  @Option(help: "The member to replace.") var host: String
  @Option(name: .customLong("with"), help: "The host that takes its place.") var replacement: String
  @OptionGroup var flags: ChangeFlags

  func run() async throws {
    let options = flags.options
    let (old, new) = (host, replacement)
    throw ExitCode(await OpsCommands.runMembershipChange(inventoryPath: inventory) { inventory, say throws(OpsError) in
      try await MemberReplacer(inventory: inventory, old: old, new: new, options: options, say: say).run()
    })
  }
}
