import ArgumentParser
import Foundation
import Ops

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
