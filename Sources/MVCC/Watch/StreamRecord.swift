// The hub's side of one watch stream: its outbox, its watchers by watch ID, and its progress bookkeeping. Only the
// hub touches it, under the hub's lock.

/// The hub's record of one stream: its outbox and its watchers by watch ID.
final class StreamRecord {
  let id: Int
  let outbox: WatchOutbox
  var watchers: [Int64: Watcher] = [:]
  /// The lowest watch ID that may be free (etcd hands out IDs upward from 0).
  var nextWatchID: Int64 = 0
  /// A stream-wide progress request waits until every watcher of the stream is synced.
  var progressRequested = false
  /// When progress notification last looked at this stream.
  var lastProgressCheck: Duration?

  init(id: Int, outbox: WatchOutbox) {
    self.id = id
    self.outbox = outbox
  }

  /// True when no watcher of the stream is behind.
  var allSynced: Bool { watchers.values.allSatisfy { $0.place == .synced } }
}
