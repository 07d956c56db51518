// Installing another member's database (a Raft snapshot's backend) in place of this one: checking that a file is a
// whole backend database before anything is replaced, and leaving a database self-contained (no WAL file beside it)
// so that a file can be renamed over it or it can be renamed into place.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Backend {
  /// The columns every table must have: what the backend reads and writes.
  private static let requiredColumns: [(table: String, columns: String)] = [
    ("kv", "rev, main, sub, key, value, create_revision, mod_revision, version, lease, tombstone"),
    ("lease", "id, ttl, remaining_ttl"),
    ("meta", "name, value"),
    ("auth", "name, value"),
    ("members", "name, value"),
  ]

  /// The 16 bytes every SQLite 3 database starts with.
  private static let sqliteHeader = Array("SQLite format 3\0".utf8)

  /// Checks that the file at `path` is a whole backend database: an SQLite 3 database of whole pages (no trailer
  /// after its last page), that passes SQLite's quick check, has every table and column the backend uses, and
  /// records an applied Raft position of at least `minimumConsistentIndex`. Reads only.
  /// - Returns: the applied Raft position stored in the file.
  /// - Throws: `.corrupt` naming what is wrong (the file is refused; nothing else changes).
  static func checkRestorable(at path: String, minimumConsistentIndex: UInt64) throws(MVCCError) -> ConsistentIndex {
    func refuse(_ what: String) -> MVCCError {
      .corrupt(path: path, detail: "refused as a snapshot database: \(what); the current store is unchanged: "
        + "fetch the snapshot again from the leader")
    }
    let size: Int64
    do {
      let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
      defer { try? handle.close() }
      let header = try handle.read(upToCount: sqliteHeader.count) ?? Data()
      guard Array(header) == sqliteHeader else { throw refuse("it is not an SQLite 3 database (its header is wrong)") }
      size = Int64(try handle.seekToEnd())
    } catch let error as MVCCError {
      throw error
    } catch {
      throw refuse("it cannot be read (\(error))")
    }
    do {
      let connection = try SQLiteConnection(path: path, readOnly: true)
      let pageSize = try connection.scalar("PRAGMA page_size")
      let pages = try connection.scalar("PRAGMA page_count")
      guard pageSize > 0, size == pages * pageSize else {
        throw refuse("it is \(size) bytes, not its \(pages) pages of \(pageSize) bytes (a snapshot file with its "
          + "SHA-256 trailer must go through SnapshotFile.restore first; otherwise it is truncated)")
      }
      let check = try connection.prepare("PRAGMA quick_check")
      var problems: [String] = []
      while try check.step() { problems.append(check.text(at: 0)) }
      guard problems == ["ok"] else {
        throw refuse("SQLite's quick check found damage: \(problems.prefix(3).joined(separator: "; "))")
      }
      for (table, columns) in requiredColumns {
        do { _ = try connection.prepare("SELECT \(columns) FROM \(table) LIMIT 0") } catch {
          throw refuse("it is not a swetcd backend: table \(table) with columns \(columns) is missing (\(error.message))")
        }
      }
      let meta = try connection.prepare("SELECT value FROM meta WHERE name = ?")
      func stored(_ name: String) throws(SQLiteError) -> Int64? {
        defer { meta.rewind() }
        try meta.bind(name, at: 1)
        return try meta.step() ? meta.int64(at: 0) : nil
      }
      let applied = ConsistentIndex(
        index: UInt64(bitPattern: try stored(MetaKey.consistentIndex) ?? 0),
        term: UInt64(bitPattern: try stored(MetaKey.term) ?? 0))
      guard applied.index >= minimumConsistentIndex else {
        throw refuse("its consistent index \(applied.index) is below \(minimumConsistentIndex), the index of the "
          + "snapshot it should hold")
      }
      return applied
    } catch let error as MVCCError {
      throw error
    } catch let error as SQLiteError {
      throw refuse("SQLite cannot read it: \(error.description)")
    } catch {
      throw refuse("\(error)")
    }
  }

  /// Commits, closes the idle read connections and takes the database out of WAL mode, which checkpoints the WAL
  /// into the database file and removes the `-wal` and `-shm` files: the file alone then holds everything, ready to
  /// be replaced or renamed. Needs exclusive access (no read connection lent). The backend stays usable (in
  /// rollback-journal mode) but is meant to be dropped.
  func detachFromFile() throws(MVCCError) {
    try commit()
    readers.closeIdle()
    let mode = try sql { () throws(SQLiteError) -> String in
      let s = try writer.prepare("PRAGMA journal_mode=DELETE")
      return try s.step() ? s.text(at: 0) : ""
    }
    guard mode.lowercased() == "delete" else {
      throw MVCCError.backend(path: path, detail: "could not leave WAL mode (journal mode is \(mode)); another "
        + "connection to the database is open")
    }
    try Self.syncFile(path)
  }

  /// Undoes `detachFromFile` when the file was not replaced after all: back to WAL mode, as the backend opened.
  func reattachToFile() throws(MVCCError) {
    try sql { () throws(SQLiteError) in
      let s = try writer.prepare("PRAGMA journal_mode=WAL")
      _ = try s.step()
    }
  }

  /// fsyncs the file or directory at `path`.
  static func syncFile(_ path: String) throws(MVCCError) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw MVCCError.backend(path: path, detail: "open for fsync failed (errno \(errno))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw MVCCError.backend(path: path, detail: "fsync failed (errno \(errno))") }
  }
}

extension Backend {
  /// Removes SQLite's files beside the database at `path` (`-wal`, `-shm`, `-journal`), which would otherwise be
  /// replayed onto a database put in its place.
  static func removeSidecarFiles(of path: String) {
    for suffix in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
  }
}
