import ArgumentParser
import Foundation
import Ops

extension Restorer.Method: ExpressibleByArgument {}

struct RestoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Bring the cluster back from a snapshot, or rebuild it around one member with --force-new-cluster.",
    discussion: """
      --method snapshot (default): checks the snapshot, stops every member, moves the data dirs aside (never \
      deleted), restores the snapshot on each as a NEW cluster (new token), starts them and verifies keys and revision.
      --method force-new-cluster: keeps the seed's data (a copy is kept aside) or restores --from into it, starts it \
      with --force-new-cluster, fixes its peer URL, restarts it normally, then re-adds the others learner-first.
      """)

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Option(name: .customLong("from"), help: "The snapshot (.db) to restore.") var snapshot: String?
  @Option(help: "snapshot or force-new-cluster.") var method: Restorer.Method = .snapshot
  @Option(help: "force-new-cluster: the member whose data survives (default: the first host).") var seed: String?
  @OptionGroup var flags: ChangeFlags

  func validate() throws {
    if method == .snapshot, snapshot == nil { throw ValidationError("--method snapshot needs --from SNAPSHOT") }
    if method == .snapshot, seed != nil { throw ValidationError("--seed is for --method force-new-cluster") }
  }

  func run() async throws {
    let options = flags.options
    let (method, snapshot, seed) = (method, snapshot.map { URL(fileURLWithPath: $0).path }, seed)
    throw ExitCode(await OpsCommands.runMembershipChange(inventoryPath: inventory) { inventory, say throws(OpsError) in
      try await Restorer(inventory: inventory, method: method, snapshot: snapshot, seed: seed, options: options, say: say).run()
    })
  }
}
