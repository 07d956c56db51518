/// Runs `body` for every item at once (one task each) and returns the results in the items' order.
func inParallel<Item: Sendable, T: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) async -> T) async -> [T] {
  await withTaskGroup(of: (Int, T).self) { group in
    for (index, item) in items.enumerated() {
      group.addTask { (index, await body(item)) }
    }
    var results: [(Int, T)] = []
    for await result in group { results.append(result) }
    return results.sorted { $0.0 < $1.0 }.map(\.1)
  }
}
