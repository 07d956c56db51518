import Foundation

extension OpsCommands {
  /// `add-member`, `remove-member`, `replace-member` and `restore`: 0 when done and healthy (or the plan was
  /// printed), 1 when refused, not confirmed, or stopped part-way (the message says where and how to resume).
  public static func runMembershipChange(
    inventoryPath: String, _ body: @escaping @Sendable (Inventory, @escaping @Sendable (String) -> Void) async throws(OpsError) -> Void
  ) async -> Int32 {
    guard let inventory = loadInventory(inventoryPath) else { return 2 }
    do {
      try await body(inventory) { printOut($0) }
      return 0
    } catch {
      printError(error.description)
      return 1
    }
  }
}
