// The revisions of one key, grouped in generations, with etcd's rules (mvcc/key_index.go) for get, tombstone,
// since, compaction and keep.
//
// A generation runs from the put that creates the key to the tombstone that deletes it; the latest generation has
// no tombstone and is empty while the key is deleted. The latest generation is stored inline (its newest revision
// and its count, with the older revisions in an array only when there are any), so a key written once, or a key
// compacted down to one revision, costs no allocation besides its key bytes.

/// A generation ended by a tombstone.
struct ClosedGeneration: Hashable {
  /// The revision of the put that created the key.
  var created: Revision
  /// Puts in the generation, including the tombstone (etcd counts it too).
  var version: Int64
  /// The revisions still indexed, ascending; the last is the tombstone.
  var revisions: [Revision]
}

/// Everything the index knows about one key.
struct KeyHistory {
  /// Created revision of the latest generation (meaningless while `version == 0`).
  var created: Revision
  /// Newest revision of the latest generation (meaningless while `version == 0`).
  var modified: Revision
  /// Puts in the latest generation; 0 while the key is deleted.
  var version: Int64
  /// The latest generation's indexed revisions older than `modified`, ascending.
  var earlier: [Revision]
  /// Generations ended by a tombstone, oldest first.
  var past: [ClosedGeneration]

  /// A key whose latest generation is `[modified]`, created at `created` and put `version` times.
  init(created: Revision, modified: Revision, version: Int64) {
    self.created = created
    self.modified = modified
    self.version = version
    self.earlier = []
    self.past = []
  }

  /// True while the key exists (its latest generation is not empty).
  var isLive: Bool { version > 0 }

  /// True when no generation holds a revision: the index drops such a key.
  var isEmpty: Bool { version == 0 && past.isEmpty }

  /// The newest revision of the key, put or tombstone.
  var lastRevision: Revision? {
    if version > 0 { return modified }
    return past.last?.revisions.last
  }

  /// Records a put at `revision`, starting a new generation when the key is deleted.
  mutating func put(_ revision: Revision) {
    if version == 0 {
      created = revision
      version = 1
    } else {
      earlier.append(modified)
      version += 1
    }
    modified = revision
  }

  /// Records a delete at `revision`: the tombstone ends the latest generation. Fails with `.keyNotFound` when the
  /// key is already deleted.
  mutating func tombstone(_ revision: Revision) throws(MVCCError) {
    guard version > 0 else { throw .keyNotFound }
    var revisions: [Revision] = []
    swap(&revisions, &earlier)
    revisions.append(modified)
    revisions.append(revision)
    past.append(ClosedGeneration(created: created, version: version + 1, revisions: revisions))
    version = 0
  }

  /// The revision of the key visible at store revision `rev`, its generation's created revision and the key's
  /// version then; nil when the key did not exist at `rev` (or those revisions were compacted).
  func get(atRevision rev: Int64) -> (modified: Revision, created: Revision, version: Int64)? {
    if version > 0 {
      let first = earlier.first ?? modified
      if first.main <= rev {
        if modified.main <= rev { return (modified, created, version) }
        let index = Self.lastIndex(in: earlier, atOrBelow: rev)
        return (earlier[index], created, version - Int64(earlier.count - index))
      }
    }
    var generation = past.count - 1
    while generation >= 0 {
      let revisions = past[generation].revisions
      // The key was deleted at or before `rev`.
      if revisions[revisions.count - 1].main <= rev { return nil }
      if revisions[0].main <= rev {
        let index = Self.lastIndex(in: revisions, atOrBelow: rev)
        let closed = past[generation]
        return (revisions[index], closed.created, closed.version - Int64(revisions.count - 1 - index))
      }
      generation -= 1
    }
    return nil
  }

  /// The index of the last revision with `main <= rev` in an ascending list whose first element qualifies.
  @inline(__always)
  static func lastIndex(in revisions: [Revision], atOrBelow rev: Int64) -> Int {
    var low = 0
    var high = revisions.count
    while low < high {
      let mid = (low + high) >> 1
      if revisions[mid].main <= rev { low = mid + 1 } else { high = mid }
    }
    return low - 1
  }

  /// Appends the key's revisions with `main >= from` to `output`, ascending; of several revisions with the same
  /// main revision only the one with the largest sub revision (what a reader of that revision sees).
  func appendRevisions(since from: Int64, to output: inout [Revision]) {
    var last: Int64 = -1
    func add(_ revision: Revision) {
      guard revision.main >= from else { return }
      if revision.main == last {
        output[output.count - 1] = revision
      } else {
        output.append(revision)
        last = revision.main
      }
    }
    for closed in past where closed.revisions[closed.revisions.count - 1].main >= from {
      for revision in closed.revisions { add(revision) }
    }
    if version > 0 {
      for revision in earlier { add(revision) }
      add(modified)
    }
  }

  /// The generation a compaction at `rev` starts from (etcd's doCompact): the index in `past` of the first
  /// generation whose tombstone is above `rev` (`past.count` for the latest generation), and the index in that
  /// generation of its last revision at or below `rev` (nil when all its revisions are above `rev`).
  private func compactionPoint(_ rev: Int64) -> (generation: Int, revision: Int?) {
    var generation = 0
    while generation < past.count, past[generation].revisions[past[generation].revisions.count - 1].main <= rev {
      generation += 1
    }
    if generation < past.count {
      let revisions = past[generation].revisions
      return (generation, revisions[0].main <= rev ? Self.lastIndex(in: revisions, atOrBelow: rev) : nil)
    }
    guard version > 0, (earlier.first ?? modified).main <= rev else { return (generation, nil) }
    return (generation, modified.main <= rev ? earlier.count : Self.lastIndex(in: earlier, atOrBelow: rev))
  }

  /// Adds to `keep` the revision a compaction at `rev` keeps: the newest revision at or below `rev`, unless it is
  /// a tombstone (etcd's keyIndex.keep). Does not change the key.
  func keep(atRevision rev: Int64, into keep: inout Set<Revision>) {
    let (generation, index) = compactionPoint(rev)
    guard let index else { return }
    if generation < past.count {
      let revisions = past[generation].revisions
      // A generation's tombstone is never kept (it is above `rev` here, so this only guards the rule).
      if index < revisions.count - 1 { keep.insert(revisions[index]) }
    } else {
      keep.insert(index < earlier.count ? earlier[index] : modified)
    }
  }

  /// Compacts at `rev` (etcd's keyIndex.compact): drops the generations whose tombstone is at or below `rev`, and in
  /// the generation holding `rev` every revision older than the newest one at or below `rev`, which it adds to
  /// `keep`. Returns true when the key has no revision left.
  mutating func compact(atRevision rev: Int64, into keep: inout Set<Revision>) -> Bool {
    let (generation, index) = compactionPoint(rev)
    if generation < past.count {
      if let index {
        past[generation].revisions.removeSubrange(0..<index)
        keep.insert(past[generation].revisions[0])
        // A generation compacted down to its tombstone alone is dropped with it (cannot happen while the
        // tombstone is above `rev`; kept as etcd's rule).
        if past[generation].revisions.count == 1 {
          keep.remove(past[generation].revisions[0])
          past.removeSubrange(0...generation)
          return isEmpty
        }
      }
      past.removeSubrange(0..<generation)
      return false
    }
    past.removeAll()
    if let index {
      if index >= earlier.count {
        earlier.removeAll()
        keep.insert(modified)
      } else {
        earlier.removeSubrange(0..<index)
        keep.insert(earlier[0])
      }
    }
    return isEmpty
  }
}
