// An in-memory B+tree from byte-string keys to values: the ordered map under the MVCC key index.

/// One node of an `OrderedByteMap`. A leaf holds entries (`keys[i]` maps to `values[i]`); an inner node holds
/// `children.count - 1` separators in `keys`, where child `i` holds the keys `k` with `keys[i-1] <= k < keys[i]`.
final class OrderedByteMapNode<Value> {
  /// Leaf: the entries' keys, ascending. Inner: the separators, ascending.
  var keys: PackedKeys
  /// Leaf only: the entries' values.
  var values: [Value]
  /// Inner only: the subtrees.
  var children: [OrderedByteMapNode<Value>]
  /// Whether this node holds entries.
  let isLeaf: Bool

  init(leafKeys keys: PackedKeys, values: [Value]) {
    self.keys = keys
    self.values = values
    self.children = []
    self.isLeaf = true
  }

  init(separators: PackedKeys, children: [OrderedByteMapNode<Value>]) {
    self.keys = separators
    self.values = []
    self.children = children
    self.isLeaf = false
  }

  /// Entries of a leaf, children of an inner node: the quantity the B-tree keeps between its bounds.
  var occupancy: Int { isLeaf ? keys.count : children.count }
}

/// An ordered map from byte strings to values: a B+tree with O(log n) lookup, insertion and removal and ordered
/// iteration from any key. Values live inline in the leaves and are mutated in place.
///
/// Not locked: readers (`value`, `read`, `forEach`) mutate nothing and may run concurrently with each other; a
/// writer (`upsert`, `modify`, `forEachModifying`, `remove`) needs exclusive access.
struct OrderedByteMap<Value> {
  /// Most entries a leaf holds (a leaf other than the root keeps at least one; removals keep half, except that
  /// the rightmost leaves of an ascending load are left full).
  static var leafCapacity: Int { 64 }
  /// Most children an inner node holds; every inner node other than the root keeps at least half.
  static var innerCapacity: Int { 64 }

  private(set) var root: OrderedByteMapNode<Value>
  /// Number of entries.
  private(set) var count = 0

  init() {
    root = OrderedByteMapNode(leafKeys: PackedKeys(), values: [])
  }

  /// The value stored for `key`.
  func value(for key: [UInt8]) -> Value? {
    read(key) { $0 }
  }

  /// The leaf that holds or would hold `key`, and the key's position in it.
  @inline(__always)
  private func find(_ key: [UInt8]) -> (leaf: OrderedByteMapNode<Value>, index: Int, found: Bool) {
    key.withUnsafeBufferPointer { key in
      var node = root
      while !node.isLeaf { node = node.children[node.keys.upperBound(key)] }
      let (index, found) = node.keys.search(key)
      return (node, index, found)
    }
  }

  /// Runs `body` on the value stored for `key` without copying or mutating anything (safe for concurrent
  /// readers); nil when there is none.
  @inline(__always)
  func read<R>(_ key: [UInt8], _ body: (Value) -> R) -> R? {
    let (leaf, index, found) = find(key)
    guard found else { return nil }
    return leaf.values.withUnsafeBufferPointer { body($0[index]) }
  }

  /// Runs `body` on the value stored for `key`, in place (a writer's access); nil when there is none.
  @inline(__always)
  func modify<R, E: Error>(_ key: [UInt8], _ body: (inout Value) throws(E) -> R) throws(E) -> R? {
    let (leaf, index, found) = find(key)
    guard found else { return nil }
    return try body(&leaf.values[index])
  }

  /// Updates the value of `key` in place with `update`, or inserts `make()` when the key is absent.
  /// Returns true when it inserted.
  @discardableResult
  mutating func upsert(_ key: [UInt8], make: () -> Value, update: (inout Value) -> Void) -> Bool {
    var inserted = false
    let split = key.withUnsafeBufferPointer { key in
      upsert(key, in: root, rightmost: true, inserted: &inserted, make: make, update: update)
    }
    if let (separator, right) = split {
      var separators = PackedKeys()
      separator.withUnsafeBufferPointer { separators.append($0) }
      root = OrderedByteMapNode(separators: separators, children: [root, right])
    }
    if inserted { count += 1 }
    return inserted
  }

  /// Inserts or updates below `node`; returns the separator and new right sibling when `node` split.
  private func upsert(
    _ key: UnsafeBufferPointer<UInt8>, in node: OrderedByteMapNode<Value>, rightmost: Bool, inserted: inout Bool,
    make: () -> Value, update: (inout Value) -> Void
  ) -> ([UInt8], OrderedByteMapNode<Value>)? {
    if node.isLeaf {
      let (index, found) = node.keys.search(key)
      if found {
        update(&node.values[index])
        return nil
      }
      inserted = true
      guard node.keys.count >= Self.leafCapacity else {
        node.keys.insert(key, at: index)
        node.values.insert(make(), at: index)
        return nil
      }
      // Split a full leaf before inserting, so no leaf array ever grows past the capacity. An ascending load
      // appends to the rightmost leaf: leave that one full rather than half empty.
      let middle = rightmost && index == node.keys.count ? Self.leafCapacity : Self.leafCapacity / 2
      let right = OrderedByteMapNode(leafKeys: node.keys.removeSuffix(from: middle), values: Array(node.values[middle...]))
      node.values.removeSubrange(middle...)
      let target = index < middle ? node : right
      let position = index < middle ? index : index - middle
      target.keys.insert(key, at: position)
      target.values.insert(make(), at: position)
      return (right.keys[0], right)
    }
    let index = node.keys.upperBound(key)
    let isLast = index == node.children.count - 1
    guard let (separator, right) = upsert(
      key, in: node.children[index], rightmost: rightmost && isLast, inserted: &inserted, make: make, update: update)
    else { return nil }
    separator.withUnsafeBufferPointer { node.keys.insert($0, at: index) }
    node.children.insert(right, at: index + 1)
    guard node.children.count > Self.innerCapacity else { return nil }
    return splitInner(node)
  }

  private func splitInner(_ node: OrderedByteMapNode<Value>) -> ([UInt8], OrderedByteMapNode<Value>) {
    let middle = node.keys.count / 2
    let separator = node.keys[middle]
    let right = OrderedByteMapNode(separators: PackedKeys(), children: Array(node.children[(middle + 1)...]))
    right.keys = node.keys.removeSuffix(from: middle + 1)
    node.keys.remove(at: middle)
    node.children.removeSubrange((middle + 1)...)
    return (separator, right)
  }

  /// Visits the entries with keys >= `start` in ascending order until `body` returns false, without copying or
  /// mutating anything (safe for concurrent readers). `body` gets the key's bytes, valid only during the call.
  func forEach(from start: [UInt8], _ body: (UnsafeBufferPointer<UInt8>, Value) -> Bool) {
    visitLeaves(from: start) { leaf, first in
      leaf.keys.bytes.withUnsafeBufferPointer { bytes in
        leaf.keys.ends.withUnsafeBufferPointer { ends in
          leaf.values.withUnsafeBufferPointer { values in
            for index in first..<ends.count {
              let begin = index == 0 ? 0 : Int(ends[index - 1])
              guard body(UnsafeBufferPointer(rebasing: bytes[begin..<Int(ends[index])]), values[index]) else { return false }
            }
            return true
          }
        }
      }
    }
  }

  /// Visits the entries with keys >= `start` in ascending order until `body` returns false, letting `body` mutate
  /// each value in place (a writer's access); `body` must not insert or remove entries.
  func forEachModifying(from start: [UInt8], _ body: (UnsafeBufferPointer<UInt8>, inout Value) -> Bool) {
    visitLeaves(from: start) { leaf, first in
      let bytes = leaf.keys.bytes
      let ends = leaf.keys.ends
      for index in first..<ends.count {
        let begin = index == 0 ? 0 : Int(ends[index - 1])
        let proceed = bytes.withUnsafeBufferPointer { all in
          body(UnsafeBufferPointer(rebasing: all[begin..<Int(ends[index])]), &leaf.values[index])
        }
        guard proceed else { return false }
      }
      return true
    }
  }

  /// Calls `body` with each leaf holding keys >= `start`, in order, and the index of its first such key, until
  /// `body` returns false.
  private func visitLeaves(from start: [UInt8], _ body: (OrderedByteMapNode<Value>, Int) -> Bool) {
    func visit(_ node: OrderedByteMapNode<Value>, from start: UnsafeBufferPointer<UInt8>?) -> Bool {
      if node.isLeaf { return body(node, start.map { node.keys.search($0).index } ?? 0) }
      var index = start.map { node.keys.upperBound($0) } ?? 0
      guard visit(node.children[index], from: start) else { return false }
      index += 1
      while index < node.children.count {
        guard visit(node.children[index], from: nil) else { return false }
        index += 1
      }
      return true
    }
    _ = start.withUnsafeBufferPointer { visit(root, from: $0) }
  }

  /// Removes `key`; returns its value, or nil when it was absent.
  @discardableResult
  mutating func remove(_ key: [UInt8]) -> Value? {
    let removed = key.withUnsafeBufferPointer { remove($0, from: root) }
    if removed != nil { count -= 1 }
    if !root.isLeaf && root.children.count == 1 { root = root.children[0] }
    return removed
  }
}
