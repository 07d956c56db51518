// Size, defragmentation and consistent copies of the backend database.

import Foundation

/// What a defragmentation did.
public struct DefragmentResult: Hashable, Sendable {
  /// The database size before (bytes).
  public var sizeBefore: Int64
  /// The database size after (bytes).
  public var sizeAfter: Int64
}

extension Backend {
  /// The bytes of the database in use (allocated pages minus free pages, as etcd's `dbSizeInUse`).
  public func sizeInUse() throws(MVCCError) -> Int64 {
    try sql { () throws(SQLiteError) -> Int64 in
      let used = try writer.scalar("PRAGMA page_count") - writer.scalar("PRAGMA freelist_count")
      return try used * writer.scalar("PRAGMA page_size")
    }
  }

  /// Commits, rewrites the database without free pages (VACUUM) and checkpoints the WAL so the file shrinks.
  /// Needs exclusive access (no reader running).
  public func defragment() throws(MVCCError) -> DefragmentResult {
    try commit()
    let before = try size()
    readers.closeIdle()
    try sql { () throws(SQLiteError) in
      try writer.execute("VACUUM")
      try writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
    forgetMeasuredSize()
    return DefragmentResult(sizeBefore: before, sizeAfter: try size())
  }

  /// Commits, then writes a consistent copy of the committed database to `destination` (VACUUM INTO, which also
  /// drops free pages). The copy holds the consistent index of everything committed. Needs exclusive access.
  public func copy(to destination: String) throws(MVCCError) {
    try commit()
    try? FileManager.default.removeItem(atPath: destination)
    try sql { () throws(SQLiteError) in
      let s = try writer.prepare("VACUUM INTO ?")
      try s.bind(destination, at: 1)
      try s.run()
    }
  }

  /// Copies the committed database into a temporary file in `directory` through a separate connection (one read
  /// transaction: a consistent state, taken while writes go on) and returns a stream over it (the file goes away
  /// when the stream is closed). Commit first to include the latest writes; the stream's consistent index is the
  /// one stored in the copy.
  public func snapshot(in directory: String) throws(MVCCError) -> SnapshotStream {
    let temporary = directory + "/.snapshot-\(UInt64.random(in: 0...UInt64.max)).db"
    try? FileManager.default.removeItem(atPath: temporary)
    try sql { () throws(SQLiteError) in
      // Its own connection: VACUUM INTO writes the copy, which a read-only (query_only) reader may not.
      let connection = try SQLiteConnection(path: path)
      try connection.execute("PRAGMA busy_timeout=10000")
      let s = try connection.prepare("VACUUM INTO ?")
      try s.bind(temporary, at: 1)
      try s.run()
    }
    let ci = try sql { () throws(SQLiteError) -> ConsistentIndex in
      let copy = try SQLiteConnection(path: temporary, readOnly: true)
      let index = try copy.scalar("SELECT value FROM meta WHERE name = '\(MetaKey.consistentIndex)'")
      let term = try copy.scalar("SELECT value FROM meta WHERE name = '\(MetaKey.term)'")
      return ConsistentIndex(index: UInt64(bitPattern: index), term: UInt64(bitPattern: term))
    }
    return try SnapshotStream(path: temporary, consistentIndex: ci)
  }
}
