import Foundation
import Ops
import Testing

/// Every example under inventories/ is valid: the docs and the README point people at them.
@Suite struct ShippedInventoriesTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("inventories").path

  static var files: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
  }

  @Test func theLocalAndProductionExamplesExist() {
    #expect(Set(Self.files).isSuperset(of: ["local.yml", "local-etcd.yml", "three-hosts-tls.yml", "five-hosts.yml"]))
  }

  @Test(arguments: files)
  func exampleLoadsWithoutErrorsOrWarnings(file: String) throws {
    let inventory = try InventoryLoader.load(path: "\(Self.folder)/\(file)")
    #expect(inventory.hosts.count % 2 == 1)
    #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
  }

  @Test func localExampleRunsThreeMembersOnThisMachineOnDistinctPorts() throws {
    let inventory = try InventoryLoader.load(path: "\(Self.folder)/local.yml")
    #expect(inventory.hosts.map(\.node.clientPort) == [2379, 22379, 32379])
    #expect(inventory.hosts.allSatisfy { $0.connection == .local && $0.address == "127.0.0.1" })
    #expect(Set(inventory.hosts.map(\.node.dataDirectory)).count == 3)
  }
}
