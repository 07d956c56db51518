// Removal from the B+tree: delete from a leaf, then refill an underfull node from a sibling or merge it into one.

extension OrderedByteMap {
  /// Fewest entries a leaf keeps before removal refills it; fewest children an inner node keeps.
  static var leafMinimum: Int { leafCapacity / 2 }
  static var innerMinimum: Int { innerCapacity / 2 }

  func remove(_ key: UnsafeBufferPointer<UInt8>, from node: OrderedByteMapNode<Value>) -> Value? {
    if node.isLeaf {
      let (index, found) = node.keys.search(key)
      guard found else { return nil }
      node.keys.remove(at: index)
      return node.values.remove(at: index)
    }
    let index = node.keys.upperBound(key)
    let child = node.children[index]
    guard let removed = remove(key, from: child) else { return nil }
    if child.occupancy < (child.isLeaf ? Self.leafMinimum : Self.innerMinimum) {
      refill(childAt: index, of: node)
    }
    return removed
  }

  /// Brings the underfull child `index` of `parent` back to its minimum by borrowing from a sibling that has more
  /// than the minimum, or else merges it with a sibling (the two together fit in one node).
  private func refill(childAt index: Int, of parent: OrderedByteMapNode<Value>) {
    let child = parent.children[index]
    let minimum = child.isLeaf ? Self.leafMinimum : Self.innerMinimum
    if index > 0, parent.children[index - 1].occupancy > minimum {
      borrowFromLeft(childAt: index, of: parent)
    } else if index + 1 < parent.children.count, parent.children[index + 1].occupancy > minimum {
      borrowFromRight(childAt: index, of: parent)
    } else if index > 0 {
      merge(leftAt: index - 1, of: parent)
    } else if index + 1 < parent.children.count {
      merge(leftAt: index, of: parent)
    }
  }

  private func borrowFromLeft(childAt index: Int, of parent: OrderedByteMapNode<Value>) {
    let child = parent.children[index]
    let left = parent.children[index - 1]
    let last = left.keys.count - 1
    if child.isLeaf {
      left.keys.withKey(last) { child.keys.insert($0, at: 0) }
      left.keys.remove(at: last)
      child.values.insert(left.values.removeLast(), at: 0)
      child.keys.withKey(0) { parent.keys.replace(at: index - 1, with: $0) }
    } else {
      parent.keys.withKey(index - 1) { child.keys.insert($0, at: 0) }
      child.children.insert(left.children.removeLast(), at: 0)
      left.keys.withKey(last) { parent.keys.replace(at: index - 1, with: $0) }
      left.keys.remove(at: last)
    }
  }

  private func borrowFromRight(childAt index: Int, of parent: OrderedByteMapNode<Value>) {
    let child = parent.children[index]
    let right = parent.children[index + 1]
    if child.isLeaf {
      right.keys.withKey(0) { child.keys.append($0) }
      right.keys.remove(at: 0)
      child.values.append(right.values.removeFirst())
      right.keys.withKey(0) { parent.keys.replace(at: index, with: $0) }
    } else {
      parent.keys.withKey(index) { child.keys.append($0) }
      child.children.append(right.children.removeFirst())
      right.keys.withKey(0) { parent.keys.replace(at: index, with: $0) }
      right.keys.remove(at: 0)
    }
  }

  /// Moves everything of child `index + 1` into child `index` and drops the separator between them.
  private func merge(leftAt index: Int, of parent: OrderedByteMapNode<Value>) {
    let left = parent.children[index]
    let right = parent.children[index + 1]
    if left.isLeaf {
      left.keys.append(contentsOf: right.keys)
      left.values.append(contentsOf: right.values)
    } else {
      parent.keys.withKey(index) { left.keys.append($0) }
      left.keys.append(contentsOf: right.keys)
      left.children.append(contentsOf: right.children)
    }
    parent.keys.remove(at: index)
    parent.children.remove(at: index + 1)
  }
}
