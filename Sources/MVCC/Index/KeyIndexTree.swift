// The in-memory key index of the MVCC store (etcd's treeIndex): for every key, the revisions at which it was put
// and deleted, ordered by key for range reads.

/// The key index: an ordered map (a B+tree) from key to the key's generations of revisions.
///
/// The store answers reads from it (which revision of which key is visible at a store revision) and then loads
/// those revisions' values from the backend. Semantics follow etcd's `treeIndex`/`keyIndex`.
///
/// Thread-safe (as etcd's treeIndex): reads (`get`, `range`, `countRevisions`, `revisions`, `keep`, the counts) run
/// concurrently under a shared lock; `put`, `tombstone`, `compact` and `restore` take it exclusively, each for its
/// own operation only. A read at a revision is unaffected by writes at later revisions, so the store's readers need
/// no lock of their own while the applier writes.
public final class KeyIndexTree: @unchecked Sendable {
  private var map = OrderedByteMap<KeyHistory>()
  private var live = 0
  private let lock = ReadersWriterLock()

  /// Creates an empty index.
  public init() {}

  /// Keys in the index: keys with at least one indexed revision, live or deleted but not yet compacted away.
  public var keyCount: Int { lock.reading { map.count } }

  /// Keys that exist at the newest revision (put and not deleted since).
  public var liveKeyCount: Int { lock.reading { live } }

  /// The revision of `key` visible at store revision `rev`, the created revision of its generation and its
  /// version; nil when the key did not exist at `rev`.
  public func get(_ key: [UInt8], atRevision rev: Int64) -> (modified: Revision, created: Revision, version: Int64)? {
    lock.reading { map.read(key) { $0.get(atRevision: rev) } ?? nil }
  }

  /// Live keys in range at `rev`, in key order, at most `limit` (0 = no limit); `total` counts all matches.
  public func range(_ range: KeyRange, atRevision rev: Int64, limit: Int) -> (keys: [[UInt8]], revisions: [Revision], total: Int) {
    lock.reading {
      var keys: [[UInt8]] = []
      var revisions: [Revision] = []
      var total = 0
      forEach(in: range) { key, history in
        guard let found = history.get(atRevision: rev) else { return true }
        total += 1
        if limit <= 0 || keys.count < limit {
          keys.append(Array(key))
          revisions.append(found.modified)
        }
        return true
      }
      return (keys, revisions, total)
    }
  }

  /// How many keys in range exist at `rev` (Range with count_only).
  public func countRevisions(_ range: KeyRange, atRevision rev: Int64) -> Int {
    lock.reading {
      var total = 0
      forEach(in: range) { _, history in
        if history.get(atRevision: rev) != nil { total += 1 }
        return true
      }
      return total
    }
  }

  /// Records a put of `key` at `revision`, which must be above every revision already recorded for the key.
  public func put(_ key: [UInt8], revision: Revision) {
    lock.writing {
      var created = false
      map.upsert(key, make: {
        created = true
        return KeyHistory(created: revision, modified: revision, version: 1)
      }, update: { history in
        precondition(history.lastRevision.map { revision > $0 } ?? true,
                     "key index: put at \(revision) is not above the key's last revision \(String(describing: history.lastRevision))")
        if !history.isLive { created = true }
        history.put(revision)
      })
      if created { live += 1 }
    }
  }

  /// Records a delete of `key` at `revision`. Fails with `.keyNotFound` when the key does not exist.
  public func tombstone(_ key: [UInt8], revision: Revision) throws(MVCCError) {
    try lock.writing { () throws(MVCCError) in
      let deleted: Void? = try map.modify(key) { (history: inout KeyHistory) throws(MVCCError) in
        try history.tombstone(revision)
      }
      guard deleted != nil else { throw .keyNotFound }
      live -= 1
    }
  }

  /// Every revision >= `from` of the keys in range, ascending (for watch catch-up): puts and tombstones, one per
  /// key and main revision.
  public func revisions(since from: Int64, in range: KeyRange) -> [Revision] {
    lock.reading {
      var revisions: [Revision] = []
      forEach(in: range) { _, history in
        history.appendRevisions(since: from, to: &revisions)
        return true
      }
      revisions.sort()
      return revisions
    }
  }

  /// Compacts every key at `rev` (etcd's treeIndex.Compact): drops the revisions a read at `rev` or later can no
  /// longer see and the keys left with none. Returns the revisions the backend must keep among those <= `rev`;
  /// every other revision <= `rev` may be deleted.
  public func compact(atRevision rev: Int64) -> Set<Revision> {
    lock.writing {
      var keep = Set<Revision>(minimumCapacity: map.count)  // at most one revision per key: never rehashes
      var emptied: [[UInt8]] = []
      map.forEachModifying(from: []) { key, history in
        if history.compact(atRevision: rev, into: &keep) { emptied.append(Array(key)) }
        return true
      }
      for key in emptied { map.remove(key) }
      return keep
    }
  }

  /// The revisions a compaction at `rev` would keep, without compacting (for HashKV).
  public func keep(atRevision rev: Int64) -> Set<Revision> {
    lock.reading {
      var keep = Set<Revision>(minimumCapacity: map.count)
      map.forEach(from: []) { _, history in
        history.keep(atRevision: rev, into: &keep)
        return true
      }
      return keep
    }
  }

  /// Rebuilds the index from the backend at start: call once per stored revision, in revision order, with the
  /// row's key, its key-value's create revision, the row's revision (`modified`), its version, and whether the row
  /// is a tombstone (etcd's restoreIndex).
  ///
  /// The first row of a key that is not a tombstone starts its history at `modified` with the stored `created` and
  /// `version` (older revisions were compacted away); a tombstone row for a key not yet seen is skipped (its
  /// generation was compacted); later rows are recorded as puts and deletes. A store rebuilt this way answers
  /// gets, ranges, watch catch-up and compaction exactly as the index it was written from.
  public func restore(key: [UInt8], created: Revision, modified: Revision, version: Int64, tombstone: Bool) {
    lock.writing {
      var becameLive = false
      var deleted = false
      let found: Void? = map.modify(key) { history in
        if tombstone {
          deleted = (try? history.tombstone(modified)) != nil
        } else {
          becameLive = !history.isLive
          history.put(modified)
        }
      }
      if found == nil && !tombstone {
        map.upsert(key, make: { KeyHistory(created: created, modified: modified, version: version) }, update: { _ in })
        becameLive = true
      }
      if becameLive { live += 1 }
      if deleted { live -= 1 }
    }
  }

  /// Takes over the keys of `other` (an index rebuilt from a restored database) in one step: a reader sees either
  /// every key of the old index or every key of the new one. `other` must not be used afterwards.
  public func replaceContents(with other: KeyIndexTree) {
    let (map, live) = other.lock.writing { (other.map, other.live) }
    lock.writing {
      self.map = map
      self.live = live
    }
  }

  /// Runs `body` on the keys in `range`, in key order, until it returns false.
  private func forEach(in range: KeyRange, _ body: (UnsafeBufferPointer<UInt8>, KeyHistory) -> Bool) {
    if range.isSingleKey {
      _ = map.read(range.key) { history in range.key.withUnsafeBufferPointer { body($0, history) } }
      return
    }
    let start: [UInt8] = (range.key == [0] && range.isOpenEnded) ? [] : range.key
    let openEnded = range.isOpenEnded
    let end = range.end
    if !openEnded && compareBytes(start, end) >= 0 { return }
    end.withUnsafeBufferPointer { end in
      map.forEach(from: start) { key, history in
        if !openEnded && compareBytes(key, end) >= 0 { return false }
        return body(key, history)
      }
    }
  }
}
