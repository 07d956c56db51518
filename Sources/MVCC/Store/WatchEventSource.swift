// The two seams between the KV store and the watch layer: history read back by revision, and a notification after
// each committed write transaction.

/// Where the watch layer reads the store's history (the KV store implements it).
public protocol WatchEventSource: AnyObject, Sendable {
  var currentRevision: Int64 { get }
  var compactedRevision: Int64 { get }
  /// Every change with main revision in [from, through], in revision order, at most `limit` changes (0 = all).
  func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event]
  /// The key's value at `rev` (nil when absent), for prev_kv.
  func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue?
}

/// Told by the store after each committed write transaction, with the transaction's revision and its changes in
/// order, and after its database was replaced by a snapshot's. Called on the writer's thread: it must not block
/// (hand the events off and return).
public protocol WriteObserver: AnyObject, Sendable {
  func didCommit(revision: Int64, events: [Event])
  /// The store now holds another member's database (`KVStore.restore(fromDatabaseFile:minimumConsistentIndex:)`):
  /// its current and compacted revisions are these; its history is the one to read from now on.
  func storeRestored(revision: Int64, compactedRevision: Int64)
}

extension WriteObserver {
  /// Observers that keep nothing derived from the history need not react to a restore.
  public func storeRestored(revision: Int64, compactedRevision: Int64) {}
}
