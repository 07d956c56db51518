// The read-only view of the durable log that a Raft node consults.

/// Errors a ``RaftStorage`` may report.
public enum StorageError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The requested index precedes the first available one (compacted into a snapshot), or a snapshot being applied
  /// is older than the one already stored.
  case compacted
  /// The requested index is beyond the stored log.
  case unavailable
  /// A snapshot is being created; retry later.
  case snapshotTemporarilyUnavailable

  public var description: String {
    switch self {
    case .compacted:
      return "requested log index is compacted (or the snapshot is out of date); use the latest snapshot instead"
    case .unavailable:
      return "requested log index is beyond the stored log; persist the entries from Ready before reading them"
    case .snapshotTemporarilyUnavailable:
      return "snapshot is temporarily unavailable; the leader retries on the next append"
    }
  }
}

/// Read-only view of the durable log. (The node never writes it; the application persists Ready and then
/// appends to its storage.)
///
/// Implementations must be safe to call from the thread that drives the node while the application writes.
public protocol RaftStorage: AnyObject, Sendable {
  /// The persisted hard state and the membership of the latest snapshot (or the initial configuration).
  func initialState() -> (HardState, ConfState)
  /// Entries in [low, high), at least one if any exist, total byte size at most maxSize (always >= 1 entry).
  func entries(from low: LogIndex, to high: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry]
  /// The term of the entry at `index`; the snapshot's index is also answerable.
  func term(of index: LogIndex) throws(StorageError) -> Term
  /// First index available (snapshot index + 1).
  func firstIndex() -> LogIndex
  /// Last index stored (the snapshot index when no entries follow it).
  func lastIndex() -> LogIndex
  /// The most recent snapshot.
  func snapshot() throws(StorageError) -> Snapshot
}

/// Keeps the longest prefix of `entries` whose total ``Entry/byteSize`` is at most `maxSize`, always at least one.
func limitSize(_ entries: [Entry], _ maxSize: UInt64) -> [Entry] {
  guard entries.count > 1 else { return entries }
  var size = entries[0].byteSize
  var count = 1
  while count < entries.count {
    size &+= entries[count].byteSize
    if size > maxSize { break }
    count += 1
  }
  return count == entries.count ? entries : Array(entries[0..<count])
}
