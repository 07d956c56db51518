// A structural self-check of the B+tree, for tests and debugging.

extension OrderedByteMap {
  /// Checks the B+tree's invariants and returns the first violation found, or nil:
  /// keys strictly ascending in every leaf and across leaves; every key of child `i` within its separators
  /// (`keys[i-1] <= k < keys[i]`); every leaf at the same depth; inner nodes with `separators + 1` children, at most
  /// `innerCapacity` and (except the root) at least `innerMinimum`; leaves with at most `leafCapacity` entries and
  /// (except a root leaf) at least one; `count` equal to the number of entries.
  func invariantViolation() -> String? {
    var leafDepth: Int?
    var previous: [UInt8]?
    var entries = 0

    func check(_ node: OrderedByteMapNode<Value>, depth: Int, low: [UInt8]?, high: [UInt8]?, isRoot: Bool) -> String? {
      if node.isLeaf {
        if let leafDepth, leafDepth != depth { return "leaves at depths \(leafDepth) and \(depth)" }
        leafDepth = depth
        if node.keys.count != node.values.count { return "leaf with \(node.keys.count) keys, \(node.values.count) values" }
        if node.keys.count > Self.leafCapacity { return "leaf with \(node.keys.count) entries" }
        if !isRoot && node.keys.isEmpty { return "empty leaf below the root" }
        for key in node.keys {
          if let previous, compareBytes(previous, key) >= 0 { return "keys out of order: \(previous) then \(key)" }
          if let low, compareBytes(key, low) < 0 { return "key \(key) below its separator \(low)" }
          if let high, compareBytes(key, high) >= 0 { return "key \(key) not below its separator \(high)" }
          previous = key
        }
        entries += node.keys.count
        return nil
      }
      if node.children.count != node.keys.count + 1 {
        return "inner node with \(node.keys.count) separators and \(node.children.count) children"
      }
      if node.children.count > Self.innerCapacity { return "inner node with \(node.children.count) children" }
      if !isRoot && node.children.count < Self.innerMinimum { return "inner node with \(node.children.count) children" }
      if isRoot && node.children.count < 2 { return "inner root with one child" }
      for (index, child) in node.children.enumerated() {
        let childLow = index == 0 ? low : node.keys[index - 1]
        let childHigh = index == node.keys.count ? high : node.keys[index]
        if let violation = check(child, depth: depth + 1, low: childLow, high: childHigh, isRoot: false) {
          return violation
        }
      }
      return nil
    }

    if let violation = check(root, depth: 0, low: nil, high: nil, isRoot: true) { return violation }
    return entries == count ? nil : "count \(count) but \(entries) entries"
  }

  /// Depth of the leaves (0 when the root is a leaf).
  var height: Int {
    var node = root
    var depth = 0
    while !node.isLeaf {
      node = node.children[0]
      depth += 1
    }
    return depth
  }
}
