import ArgumentParser
import Foundation
import Ops

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
