import ArgumentParser
import BuildInfo
import EtcdCtl

/// swetcdctl: an etcdctl 3.4-compatible command-line client. Commands arrive with the client issues.
struct SwetcdCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcdctl",
    abstract: "A simple command line client for etcd3 and swetcd (etcdctl 3.4 compatible).",
    discussion: "This build has only the 'version' command; the key-value, cluster and snapshot commands are not built yet.",
    version: CtlVersion.text,
    subcommands: [Version.self]
  )
}

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Prints the version of swetcdctl.")
  func run() { print(CtlVersion.text) }
}

SwetcdCtl.main()
