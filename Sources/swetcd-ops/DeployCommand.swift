import ArgumentParser
import Foundation
import Ops

struct Deploy: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Take the inventory's hosts to a healthy cluster; re-running changes nothing.",
    discussion: "Phases: \(DeployPhase.allCases.map(\.rawValue).joined(separator: ", ")). Facts are always gathered.")

  @Argument(help: "The inventory YAML file.") var inventory: String
  @Flag(help: "Print the plan with diffs of every file and the quorum arithmetic; change nothing.") var dryRun = false
  @Option(help: "Run only these phases (comma-separated).") var only: String?
  @Option(help: "Skip these phases (comma-separated).") var skip: String?
  @OptionGroup var hostKeys: HostKeyFlags
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
    let executable = OpsCLI.binaryDirectory
    var options = DeployOptions(defaultBinaryDirectory: executable)
    options.dryRun = dryRun
    options.only = try only.map(Self.phases)
    options.skip = try skip.map(Self.phases) ?? []
    options.acceptNewHostKeys = hostKeys.acceptNewHostKeys
    options.healthTimeout = .seconds(healthTimeout)
    let code = await OpsCommands.deploy(inventoryPath: inventory, options: options, templatesDirectory: templates)
    throw ExitCode(code)
  }
}
