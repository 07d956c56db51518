// Removal from the B+tree: delete from a leaf, then refill an underfull node from a sibling or merge it into one.

extension OrderedByteMap {
  /// Fewest entries a leaf keeps before removal refills it; fewest children an inner node keeps.
  static var leafMinimum: Int { leafCapacity / 2 }
  static var innerMinimum: Int { innerCapacity / 2 }

  func remove(_ key: [UInt8], from node: OrderedByteMapNode<Value>) -> Value? {
    if node.isLeaf {
      let (index, found) = node.search(key)
      guard found else { return nil }
      node.keys.remove(at: index)
      return node.values.remove(at: index)
    }
    let index = node.childIndex(for: key)
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
    if child.isLeaf {
      child.keys.insert(left.keys.removeLast(), at: 0)
      child.values.insert(left.values.removeLast(), at: 0)
      parent.keys[index - 1] = child.keys[0]
    } else {
      child.keys.insert(parent.keys[index - 1], at: 0)
      child.children.insert(left.children.removeLast(), at: 0)
      parent.keys[index - 1] = left.keys.removeLast()
    }
  }

  private func borrowFromRight(childAt index: Int, of parent: OrderedByteMapNode<Value>) {
    let child = parent.children[index]
    let right = parent.children[index + 1]
    if child.isLeaf {
      child.keys.append(right.keys.removeFirst())
      child.values.append(right.values.removeFirst())
      parent.keys[index] = right.keys[0]
    } else {
      child.keys.append(parent.keys[index])
      child.children.append(right.children.removeFirst())
      parent.keys[index] = right.keys.removeFirst()
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
      left.keys.append(parent.keys[index])
      left.keys.append(contentsOf: right.keys)
      left.children.append(contentsOf: right.children)
    }
    parent.keys.remove(at: index)
    parent.children.remove(at: index + 1)
  }
}
