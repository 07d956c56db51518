// A store restored from another member's database (etcd's watchableStore.Restore): every synced watcher goes back
// to catch up from the new store's history.

extension WatchHub {
  /// The store now holds a snapshot's database at `revision`, compacted at `compactedRevision`. Every synced watcher
  /// that has not seen `revision` becomes unsynced and catches up from the new history in the next `syncRound()`s
  /// (events after the revision it had reached, read from the new store); one whose next revision was compacted
  /// away in the new store is canceled with the compaction revision there. A catch-up round in progress is dropped
  /// (it read the old store). Victims keep their pending response, then catch up the same way.
  public func storeRestored(revision: Int64, compactedRevision: Int64) {
    state.withLock { s in
      s.restores += 1
      s.currentRevision = revision
      s.lastSyncError = nil
      Self.demoteSynced(in: &s)
    }
  }
}
