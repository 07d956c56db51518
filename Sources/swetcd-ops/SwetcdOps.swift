import ArgumentParser
import BuildInfo

/// swetcd-ops: deploys and operates swetcd (or upstream etcd) clusters from an inventory file, over SSH.
struct SwetcdOps: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcd-ops",
    abstract: "Deploy and operate swetcd or etcd clusters from an inventory, over SSH.",
    discussion: "This build has only the 'version' command; deploy, status, backup, restore and the membership commands are not built yet.",
    version: "swetcd-ops version: \(BuildInfo.version)",
    subcommands: [Version.self]
  )
}

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Prints the version of swetcd-ops.")
  func run() { print("swetcd-ops version: \(BuildInfo.version)") }
}

SwetcdOps.main()
