// The backend's read-through buffer: key-value rows written since the last commit, which read connections cannot
// see yet. The writer adds rows and empties the buffer after each commit; readers look rows up concurrently.

import Synchronization

/// Rows of the open transaction, by revision. Thread-safe: one writer, any number of readers.
///
/// Readers stay correct across a concurrent commit because the writer empties the buffer only after the COMMIT
/// returned: a row a reader needs is either still here or already visible to any SQLite read that starts after the
/// reader looked here. So a reader looks here first and queries SQLite second.
final class PendingRows: Sendable {
  private let rows = Mutex<[Revision: StoredRevision]>([:])

  /// Adds (or replaces) a row.
  func insert(_ row: StoredRevision) { rows.withLock { $0[row.revision] = row } }

  /// Drops the row at `revision`, if buffered.
  func remove(_ revision: Revision) { rows.withLock { $0[revision] = nil } }

  /// Empties the buffer (after a commit made every row visible to readers).
  func removeAll() { rows.withLock { $0.removeAll(keepingCapacity: true) } }

  /// The row at `revision`, if buffered.
  func row(_ revision: Revision) -> StoredRevision? { rows.withLock { $0[revision] } }

  /// The rows at `revisions[p]` for every position `p` (nil where not buffered), under one lock.
  func rows(_ revisions: [Revision]) -> [StoredRevision?] {
    rows.withLock { buffered in
      guard !buffered.isEmpty else { return Array(repeating: nil, count: revisions.count) }
      return revisions.map { buffered[$0] }
    }
  }

  /// The buffered rows with main revision in [from, through], in revision order.
  func rows(from: Int64, through: Int64) -> [StoredRevision] {
    rows.withLock { buffered in
      buffered.values.filter { $0.revision.main >= from && $0.revision.main <= through }
    }.sorted { $0.revision < $1.revision }
  }
}
