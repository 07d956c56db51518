// Read-only connections to the backend database, lent to one reader at a time.

import Synchronization

/// A read-only connection with its prepared queries. Used by one reader at a time (the pool lends it out).
final class ReadConnection: @unchecked Sendable {
  let connection: SQLiteConnection
  private let byRevision: SQLiteStatement
  private let byRevisions: SQLiteStatement
  private let byMainRange: SQLiteStatement
  /// Revisions `fill(_:at:of:)` looks up per query.
  static let batch = 64

  init(path: String) throws(SQLiteError) {
    connection = try SQLiteConnection(path: path, readOnly: true)
    try connection.execute("PRAGMA busy_timeout=10000; PRAGMA query_only=1; PRAGMA cache_size=-8192;")
    byRevision = try connection.prepare("""
      SELECT key, value, create_revision, mod_revision, version, lease, tombstone FROM kv WHERE rev = ?
      """)
    byMainRange = try connection.prepare("""
      SELECT key, value, create_revision, mod_revision, version, lease, tombstone, main, sub FROM kv
      WHERE rev >= ? AND rev < ? ORDER BY rev LIMIT ?
      """)
    byRevisions = try connection.prepare("""
      SELECT key, value, create_revision, mod_revision, version, lease, tombstone, main, sub FROM kv
      WHERE rev IN (\(Array(repeating: "?", count: Self.batch).joined(separator: ", ")))
      """)
  }

  private static func row(_ s: SQLiteStatement, _ revision: Revision) -> StoredRevision {
    StoredRevision(
      revision: revision,
      kv: KeyValue(
        key: s.bytes(at: 0), createRevision: s.int64(at: 2), modRevision: s.int64(at: 3), version: s.int64(at: 4),
        value: s.bytes(at: 1), lease: s.int64(at: 5)),
      tombstone: s.int64(at: 6) != 0)
  }

  func revision(_ revision: Revision) throws(MVCCError) -> StoredRevision? {
    defer { byRevision.rewind() }
    do {
      try byRevision.bind(revision.rowID, at: 1)
      return try byRevision.step() ? Self.row(byRevision, revision) : nil
    } catch {
      throw MVCCError.backend(path: connection.path, detail: error.description)
    }
  }

  /// Reads the changes at `revisions[p]` for every position `p` in `positions` (distinct revisions) into
  /// `rows[p]`, `batch` revisions per query (one statement and read transaction instead of one per revision);
  /// a revision not stored leaves its row nil.
  func fill(_ rows: inout [StoredRevision?], at positions: [Int], of revisions: [Revision]) throws(MVCCError) {
    do {
      var start = 0
      while start < positions.count {
        let chunk = positions[start..<min(start + Self.batch, positions.count)]
        start = chunk.endIndex
        defer { byRevisions.rewind() }
        var parameter: Int32 = 1
        for position in chunk {
          try byRevisions.bind(revisions[position].rowID, at: parameter)
          parameter += 1
        }
        // Unused parameters repeat the last revision (IN ignores the duplicates).
        let last = revisions[positions[chunk.endIndex - 1]].rowID
        while parameter <= Int32(Self.batch) {
          try byRevisions.bind(last, at: parameter)
          parameter += 1
        }
        while try byRevisions.step() {
          let revision = Revision(main: byRevisions.int64(at: 7), sub: byRevisions.int64(at: 8))
          if let position = chunk.first(where: { revisions[$0] == revision }) {
            rows[position] = Self.row(byRevisions, revision)
          }
        }
      }
    } catch {
      throw MVCCError.backend(path: connection.path, detail: error.description)
    }
  }

  func revisions(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [StoredRevision] {
    defer { byMainRange.rewind() }
    do {
      try byMainRange.bind(Revision(main: max(0, min(from, 1 << 38))).rowID, at: 1)
      try byMainRange.bind(Revision.rowIDBound(after: through), at: 2)
      try byMainRange.bind(limit > 0 ? Int64(limit) : -1, at: 3)
      var rows: [StoredRevision] = []
      while try byMainRange.step() {
        rows.append(Self.row(byMainRange, Revision(main: byMainRange.int64(at: 7), sub: byMainRange.int64(at: 8))))
      }
      return rows
    } catch {
      throw MVCCError.backend(path: connection.path, detail: error.description)
    }
  }
}

/// A pool of read connections: a reader borrows one (opening a new one when all are lent) and returns it.
final class ReadConnectionPool: Sendable {
  let path: String
  private let idle = Mutex<[ReadConnection]>([])
  /// Connections kept when returned; more are closed.
  private let keep = 8

  init(path: String) { self.path = path }

  /// Runs `body` with a borrowed connection.
  func with<T>(_ body: (ReadConnection) throws(MVCCError) -> T) throws(MVCCError) -> T {
    let connection: ReadConnection
    if let reused = idle.withLock({ $0.popLast() }) {
      connection = reused
    } else {
      do { connection = try ReadConnection(path: path) } catch {
        throw MVCCError.backend(path: path, detail: error.description)
      }
    }
    defer { idle.withLock { if $0.count < keep { $0.append(connection) } } }
    return try body(connection)
  }

  /// Closes every idle connection (before the database file is replaced or vacuumed).
  func closeIdle() { idle.withLock { $0.removeAll() } }
}
