// An in-memory B+tree from byte-string keys to values: the ordered map under the MVCC key index.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compares two byte strings in unsigned lexicographic order (a proper prefix sorts first), like Go's `bytes.Compare`.
/// Returns a negative number, zero or a positive number.
@inline(__always)
func compareBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
  lhs.withUnsafeBufferPointer { left in
    rhs.withUnsafeBufferPointer { right in
      let common = min(left.count, right.count)
      if common > 0 {
        let order = memcmp(left.baseAddress!, right.baseAddress!, common)
        if order != 0 { return Int(order) }
      }
      return left.count - right.count
    }
  }
}

/// One node of an `OrderedByteMap`. A leaf holds entries (`keys[i]` maps to `values[i]`); an inner node holds
/// `children.count - 1` separators in `keys`, where child `i` holds the keys `k` with `keys[i-1] <= k < keys[i]`.
final class OrderedByteMapNode<Value> {
  /// Leaf: the entries' keys, ascending. Inner: the separators, ascending.
  var keys: [[UInt8]]
  /// Leaf only: the entries' values.
  var values: [Value]
  /// Inner only: the subtrees.
  var children: [OrderedByteMapNode<Value>]
  /// Whether this node holds entries.
  let isLeaf: Bool

  init(leafKeys keys: [[UInt8]], values: [Value]) {
    self.keys = keys
    self.values = values
    self.children = []
    self.isLeaf = true
  }

  init(separators: [[UInt8]], children: [OrderedByteMapNode<Value>]) {
    self.keys = separators
    self.values = []
    self.children = children
    self.isLeaf = false
  }

  /// Entries of a leaf, children of an inner node: the quantity the B-tree keeps between its bounds.
  var occupancy: Int { isLeaf ? keys.count : children.count }

  /// Leaf: the index of `key` (`found`) or where it would be inserted.
  @inline(__always)
  func search(_ key: [UInt8]) -> (index: Int, found: Bool) {
    var low = 0
    var high = keys.count
    while low < high {
      let mid = (low &+ high) >> 1
      let order = compareBytes(keys[mid], key)
      if order == 0 { return (mid, true) }
      if order < 0 { low = mid &+ 1 } else { high = mid }
    }
    return (low, false)
  }

  /// Inner: the child whose key interval holds `key` (the number of separators <= `key`).
  @inline(__always)
  func childIndex(for key: [UInt8]) -> Int {
    var low = 0
    var high = keys.count
    while low < high {
      let mid = (low &+ high) >> 1
      if compareBytes(keys[mid], key) <= 0 { low = mid &+ 1 } else { high = mid }
    }
    return low
  }
}

/// An ordered map from byte strings to values: a B+tree with O(log n) lookup, insertion and removal and ordered
/// iteration from any key. Values live inline in the leaves and are mutated in place.
///
/// Not thread-safe: the owner serializes access.
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
    root = OrderedByteMapNode(leafKeys: [], values: [])
  }

  /// The value stored for `key`.
  func value(for key: [UInt8]) -> Value? {
    let leaf = leafNode(for: key)
    let (index, found) = leaf.search(key)
    return found ? leaf.values[index] : nil
  }

  /// Runs `body` on the value stored for `key`, in place; nil when there is none.
  func withValue<R, E: Error>(for key: [UInt8], _ body: (inout Value) throws(E) -> R) throws(E) -> R? {
    let leaf = leafNode(for: key)
    let (index, found) = leaf.search(key)
    guard found else { return nil }
    return try body(&leaf.values[index])
  }

  private func leafNode(for key: [UInt8]) -> OrderedByteMapNode<Value> {
    var node = root
    while !node.isLeaf { node = node.children[node.childIndex(for: key)] }
    return node
  }

  /// Updates the value of `key` in place with `update`, or inserts `make()` when the key is absent.
  /// Returns true when it inserted.
  @discardableResult
  mutating func upsert(_ key: [UInt8], make: () -> Value, update: (inout Value) -> Void) -> Bool {
    var inserted = false
    if let (separator, right) = upsert(key, in: root, rightmost: true, inserted: &inserted, make: make, update: update) {
      root = OrderedByteMapNode(separators: [separator], children: [root, right])
    }
    if inserted { count += 1 }
    return inserted
  }

  /// Inserts or updates below `node`; returns the separator and new right sibling when `node` split.
  private func upsert(
    _ key: [UInt8], in node: OrderedByteMapNode<Value>, rightmost: Bool, inserted: inout Bool,
    make: () -> Value, update: (inout Value) -> Void
  ) -> ([UInt8], OrderedByteMapNode<Value>)? {
    if node.isLeaf {
      let (index, found) = node.search(key)
      if found {
        update(&node.values[index])
        return nil
      }
      node.keys.insert(key, at: index)
      node.values.insert(make(), at: index)
      inserted = true
      guard node.keys.count > Self.leafCapacity else { return nil }
      // An ascending load appends to the rightmost leaf: leave it full rather than half empty.
      let appending = rightmost && index == node.keys.count - 1
      return splitLeaf(node, at: appending ? Self.leafCapacity : node.keys.count / 2)
    }
    let index = node.childIndex(for: key)
    let isLast = index == node.children.count - 1
    guard let (separator, right) = upsert(
      key, in: node.children[index], rightmost: rightmost && isLast, inserted: &inserted, make: make, update: update)
    else { return nil }
    node.keys.insert(separator, at: index)
    node.children.insert(right, at: index + 1)
    guard node.children.count > Self.innerCapacity else { return nil }
    return splitInner(node)
  }

  private func splitLeaf(_ node: OrderedByteMapNode<Value>, at middle: Int) -> ([UInt8], OrderedByteMapNode<Value>) {
    let right = OrderedByteMapNode(leafKeys: Array(node.keys[middle...]), values: Array(node.values[middle...]))
    node.keys.removeSubrange(middle...)
    node.values.removeSubrange(middle...)
    return (right.keys[0], right)
  }

  private func splitInner(_ node: OrderedByteMapNode<Value>) -> ([UInt8], OrderedByteMapNode<Value>) {
    let middle = node.keys.count / 2
    let separator = node.keys[middle]
    let right = OrderedByteMapNode(separators: Array(node.keys[(middle + 1)...]), children: Array(node.children[(middle + 1)...]))
    node.keys.removeSubrange(middle...)
    node.children.removeSubrange((middle + 1)...)
    return (separator, right)
  }

  /// Visits the entries with keys >= `start` in ascending order, letting `body` mutate each value in place, until
  /// `body` returns false. `body` must not insert or remove entries.
  func forEach<E: Error>(from start: [UInt8], _ body: ([UInt8], inout Value) throws(E) -> Bool) throws(E) {
    _ = try visit(root, from: start, body)
  }

  private func visit<E: Error>(
    _ node: OrderedByteMapNode<Value>, from start: [UInt8]?, _ body: ([UInt8], inout Value) throws(E) -> Bool
  ) throws(E) -> Bool {
    if node.isLeaf {
      var index = start.map { node.search($0).index } ?? 0
      while index < node.keys.count {
        guard try body(node.keys[index], &node.values[index]) else { return false }
        index += 1
      }
      return true
    }
    var index = start.map { node.childIndex(for: $0) } ?? 0
    guard try visit(node.children[index], from: start, body) else { return false }
    index += 1
    while index < node.children.count {
      guard try visit(node.children[index], from: nil, body) else { return false }
      index += 1
    }
    return true
  }

  /// Removes `key`; returns its value, or nil when it was absent.
  @discardableResult
  mutating func remove(_ key: [UInt8]) -> Value? {
    let removed = remove(key, from: root)
    if removed != nil { count -= 1 }
    if !root.isLeaf && root.children.count == 1 { root = root.children[0] }
    return removed
  }
}
