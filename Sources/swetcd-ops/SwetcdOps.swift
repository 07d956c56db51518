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
    discussion: "Exit status: 0 when the cluster is healthy, 1 when the operation failed, 2 for inventory or usage errors. Destructive commands ask before acting; without a terminal they refuse unless --yes is given.",
    version: "swetcd-ops version: \(BuildInfo.version)",
    subcommands: [
      Deploy.self, Status.self, Health.self, BackupCommand.self,
      AddMember.self, RemoveMember.self, ReplaceMember.self, RestoreCommand.self,
      RestartCommand.self, UpgradeCommand.self, DefragCommand.self, CompactCommand.self,
      InventoryCommand.self, Version.self,
    ]
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

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Prints the version of swetcd-ops.")
  func run() { print("swetcd-ops version: \(BuildInfo.version)") }
}

enum OpsCLI {
  /// The folder of this executable, where the default swetcd and swetcdctl binaries sit beside it.
  static var binaryDirectory: String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
  }
}
