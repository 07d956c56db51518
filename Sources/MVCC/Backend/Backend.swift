// The MVCC backend: one SQLite database (WAL journal mode) holding key-value revisions, leases, meta, auth and
// membership, written through one batched transaction and read through separate connections.

import Foundation

/// How the backend batches writes (etcd's `--backend-batch-interval` and `--backend-batch-limit`).
public struct BackendOptions: Sendable {
  /// The longest an uncommitted write waits for `flushIfDue(now:)` to commit it (etcd: 100 ms).
  public var batchInterval: Duration
  /// Writes after which the open transaction commits at once (etcd: 10000).
  public var batchLimit: Int
  /// Told how long each COMMIT of the writer's transaction took (the server feeds etcd's
  /// `etcd_disk_backend_commit_duration_seconds` from it). Runs on the writer's thread: keep it cheap.
  public var commitObserver: (@Sendable (Duration) -> Void)?

  /// Creates options; the defaults are etcd's.
  public init(batchInterval: Duration = .milliseconds(100), batchLimit: Int = 10_000) {
    self.batchInterval = batchInterval
    self.batchLimit = max(1, batchLimit)
  }
}

/// The SQLite database under an MVCC store.
///
/// Writes go into one open transaction on the writer connection, committed every `batchInterval` (the caller's
/// timer calls `flushIfDue(now:)`), after `batchLimit` writes, or on `commit()`. Reads use other connections that see
/// only committed data, so every key-value row written since the last commit is also kept in memory (`pending`) and
/// reads look there first: a read right after a write sees it without forcing a commit.
///
/// Durability: the writer runs with `synchronous=NORMAL` (no fsync per commit). The Raft WAL is the durability point;
/// after a crash the server re-applies the entries after the stored consistent index, which is committed in the same
/// transaction as the changes it covers.
///
/// Thread safety: write methods need one caller at a time; read methods (`revision`, `load`, `revisions`,
/// `forEachChange`) may run concurrently with each other and with the writer, including its commits (see
/// `PendingRows`). Maintenance (defragment, snapshot restore) needs exclusive access. `KVStore` arranges all three.
public final class Backend: @unchecked Sendable {
  /// The database file.
  public let path: String
  /// The batching policy.
  public let options: BackendOptions

  let writer: SQLiteConnection
  private let insertKV: SQLiteStatement
  private let deleteKV: SQLiteStatement
  private let upsertMeta: SQLiteStatement
  private let selectMeta: SQLiteStatement
  private let pageCountQuery: SQLiteStatement
  /// Bytes per page (fixed: a WAL-mode database cannot change it).
  private let pageSize: Int64
  let readers: ReadConnectionPool
  /// Rows written since the last commit, read through by readers.
  let pending = PendingRows()
  /// Writes (rows and meta updates) in the open transaction.
  private(set) var uncommittedWrites = 0
  private var lastCommit: Duration?
  /// The size `size(exceeds:)` last measured (nil: measure next time), and the most the database can have grown
  /// since: every write adds its bytes and `pagesPerWriteBound` pages.
  private var measuredSize: Int64?
  private var growthBound: Int64 = 0
  /// Pages one statement can allocate beyond its own bytes (overflow rounding and B-tree splits up a deep tree).
  private static let pagesPerWriteBound: Int64 = 16
  /// The applied position to write with the next commit.
  private var unwrittenConsistentIndex: ConsistentIndex?

  /// Opens (creating if needed) the database at `path` and its schema.
  public init(path: String, options: BackendOptions = BackendOptions()) throws(MVCCError) {
    self.path = path
    self.options = options
    do {
      writer = try SQLiteConnection(path: path)
      try writer.execute("""
        PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY;
        PRAGMA cache_size=-16384;
        """)
      try writer.execute(Backend.schema)
      insertKV = try writer.prepare("""
        INSERT OR REPLACE INTO kv (rev, main, sub, key, value, create_revision, mod_revision, version, lease, tombstone)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
      deleteKV = try writer.prepare("DELETE FROM kv WHERE rev = ?")
      upsertMeta = try writer.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)")
      selectMeta = try writer.prepare("SELECT value FROM meta WHERE name = ?")
      pageCountQuery = try writer.prepare("PRAGMA page_count")
      pageSize = try writer.scalar("PRAGMA page_size")
    } catch {
      throw MVCCError.backend(path: path, detail: error.description)
    }
    readers = ReadConnectionPool(path: path)
  }

  /// The tables. `kv` is keyed by revision (`rev` = main << 24 | sub: the history in order, as a rowid so large values
  /// stay inline in the table's pages); the key index lives in memory.
  static let schema = """
    CREATE TABLE IF NOT EXISTS kv (
      rev INTEGER PRIMARY KEY, main INTEGER NOT NULL, sub INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
      create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL, version INTEGER NOT NULL,
      lease INTEGER NOT NULL, tombstone INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, remaining_ttl INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS auth (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS members (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    """

  /// Runs SQLite work, turning its error into the module's error (with the database path and the remedy).
  func sql<T>(_ body: () throws(SQLiteError) -> T) throws(MVCCError) -> T {
    do { return try body() } catch { throw MVCCError.backend(path: path, detail: error.description) }
  }

  // MARK: Writes (exclusive)

  func beginIfNeeded() throws(SQLiteError) {
    if !writer.inTransaction { try writer.execute("BEGIN IMMEDIATE") }
  }

  /// Stores one change in the open transaction (and the read-through buffer).
  public func put(_ row: StoredRevision) throws(MVCCError) {
    guard row.revision.sub < Revision.subLimit else {
      throw MVCCError.backend(path: path, detail: "one transaction changes more than \(Revision.subLimit - 1) keys; delete the range in smaller pieces")
    }
    try sql { () throws(SQLiteError) in
      try beginIfNeeded()
      try insertKV.bind(row.revision.rowID, at: 1)
      try insertKV.bind(row.revision.main, at: 2)
      try insertKV.bind(row.revision.sub, at: 3)
      try insertKV.bind(row.kv.key, at: 4)
      try insertKV.bind(row.kv.value, at: 5)
      try insertKV.bind(row.kv.createRevision, at: 6)
      try insertKV.bind(row.kv.modRevision, at: 7)
      try insertKV.bind(row.kv.version, at: 8)
      try insertKV.bind(row.kv.lease, at: 9)
      try insertKV.bind(row.tombstone ? 1 : 0, at: 10)
      try insertKV.run()
    }
    pending.insert(row)
    countWrite(bytes: row.kv.key.count + row.kv.value.count)
  }

  /// Removes one change (compaction) in the open transaction.
  public func delete(_ revision: Revision) throws(MVCCError) {
    try sql { () throws(SQLiteError) in
      try beginIfNeeded()
      try deleteKV.bind(revision.rowID, at: 1)
      try deleteKV.run()
    }
    pending.remove(revision)
    countWrite(bytes: 0)
  }

  /// Sets a meta value in the open transaction.
  public func setMeta(_ name: String, _ value: Int64) throws(MVCCError) {
    try sql { () throws(SQLiteError) in
      try beginIfNeeded()
      try upsertMeta.bind(name, at: 1)
      try upsertMeta.bind(value, at: 2)
      try upsertMeta.run()
    }
    countWrite(bytes: name.utf8.count)
  }

  /// Removes a meta value in the open transaction.
  public func removeMeta(_ name: String) throws(MVCCError) {
    try sql { () throws(SQLiteError) in
      try beginIfNeeded()
      let statement = try writer.prepare("DELETE FROM meta WHERE name = ?")
      try statement.bind(name, at: 1)
      try statement.run()
    }
    countWrite(bytes: 0)
  }

  /// A meta value as the writer sees it (including uncommitted changes); nil when unset.
  public func meta(_ name: String) throws(MVCCError) -> Int64? {
    try sql { () throws(SQLiteError) -> Int64? in
      defer { selectMeta.reset() }
      try selectMeta.bind(name, at: 1)
      return try selectMeta.step() ? selectMeta.int64(at: 0) : nil
    }
  }

  /// Meta values whose name starts with `prefix` (writer's view), in name order.
  public func metas(withPrefix prefix: String) throws(MVCCError) -> [(name: String, value: Int64)] {
    try sql { () throws(SQLiteError) -> [(name: String, value: Int64)] in
      let statement = try writer.prepare("SELECT name, value FROM meta WHERE substr(name, 1, ?) = ? ORDER BY name")
      try statement.bind(Int64(prefix.utf8.count), at: 1)
      try statement.bind(prefix, at: 2)
      var result: [(name: String, value: Int64)] = []
      while try statement.step() { result.append((statement.text(at: 0), statement.int64(at: 1))) }
      return result
    }
  }

  /// Records the applied Raft position in the open transaction (with the changes of that entry). Kept in memory and
  /// written into the transaction just before it commits, so each applied entry costs no extra statement.
  public func setConsistentIndex(_ ci: ConsistentIndex) throws(MVCCError) {
    unwrittenConsistentIndex = ci
  }

  /// The applied Raft position stored (as of the writer, including uncommitted changes); index 0 when none.
  public func consistentIndex() throws(MVCCError) -> ConsistentIndex {
    if let unwrittenConsistentIndex { return unwrittenConsistentIndex }
    return ConsistentIndex(
      index: UInt64(bitPattern: try meta(MetaKey.consistentIndex) ?? 0),
      term: UInt64(bitPattern: try meta(MetaKey.term) ?? 0))
  }

  /// Commits when the open transaction holds `batchLimit` writes or more; true when it committed.
  @discardableResult
  public func commitIfFull() throws(MVCCError) -> Bool {
    guard uncommittedWrites >= options.batchLimit else { return false }
    try commit()
    return true
  }

  /// Commits the open transaction (a no-op when nothing is open) and empties the read-through buffer.
  public func commit() throws(MVCCError) {
    if let ci = unwrittenConsistentIndex {
      try setMeta(MetaKey.consistentIndex, Int64(bitPattern: ci.index))
      try setMeta(MetaKey.term, Int64(bitPattern: ci.term))
      unwrittenConsistentIndex = nil
    }
    guard writer.inTransaction else { return }
    let started = options.commitObserver == nil ? nil : ContinuousClock.now
    try sql { () throws(SQLiteError) in try writer.execute("COMMIT") }
    if let started, let observer = options.commitObserver { observer(ContinuousClock.now - started) }
    pending.removeAll()
    uncommittedWrites = 0
  }

  /// Commits when the open transaction is older than the batch interval at `now` (a monotonic time the caller reads;
  /// the backend reads no clock). Returns true when it committed.
  @discardableResult
  public func flushIfDue(now: Duration) throws(MVCCError) -> Bool {
    guard let last = lastCommit else {
      lastCommit = now
      if hasUncommittedChanges { try commit(); return true }
      return false
    }
    guard now - last >= options.batchInterval else { return false }
    lastCommit = now
    guard hasUncommittedChanges else { return false }
    try commit()
    return true
  }

  /// Counts a write of about `bytes` bytes toward the batch limit and the growth bound `size(exceeds:)` relies on.
  func countWrite(bytes: Int) {
    uncommittedWrites += 1
    growthBound += Int64(bytes) + Self.pagesPerWriteBound * pageSize
  }

  /// The database size in bytes (pages allocated, as etcd's `dbSize`), including uncommitted growth.
  public func size() throws(MVCCError) -> Int64 {
    try sql { () throws(SQLiteError) -> Int64 in
      defer { pageCountQuery.rewind() }
      return try pageCountQuery.step() ? pageCountQuery.int64(at: 0) * pageSize : 0
    }
  }

  /// Whether `size()` is above `limit`. Measures only when the last measured size plus the growth bound of the
  /// writes since could be above it, so a write far below the quota costs no query.
  public func size(exceeds limit: Int64) throws(MVCCError) -> Bool {
    if let measuredSize, measuredSize + growthBound <= limit { return false }
    let current = try size()
    measuredSize = current
    growthBound = 0
    return current > limit
  }

  /// Forgets the measured size (after the database shrank).
  func forgetMeasuredSize() { measuredSize = nil }

  /// True when changes wait for a commit.
  public var hasUncommittedChanges: Bool { writer.inTransaction || unwrittenConsistentIndex != nil }

  // MARK: Reads (concurrent with each other and with the writer)

  /// The change at `revision`: from the read-through buffer when uncommitted, else from the database.
  public func revision(_ revision: Revision) throws(MVCCError) -> StoredRevision? {
    if let row = pending.row(revision) { return row }
    return try readers.with { (connection) throws(MVCCError) in try connection.revision(revision) }
  }

  /// The changes with main revision in [from, through], in revision order, at most `limit` (0 = all).
  public func revisions(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [StoredRevision] {
    // The buffer first, then the database (see PendingRows): a commit in between moves every buffered row into the
    // database result, and without one every buffered row is newer than every committed row.
    let buffered = pending.rows(from: from, through: through)
    var rows = try readers.with { (connection) throws(MVCCError) in
      try connection.revisions(from: from, through: through, limit: limit)
    }
    if limit == 0 || rows.count < limit {
      let lastCommitted = rows.last?.revision
      let newer = buffered.drop { row in lastCommitted.map { row.revision <= $0 } ?? false }
      rows.append(contentsOf: limit == 0 ? newer : newer.prefix(limit - rows.count))
    }
    return rows
  }

  /// Loads the changes at `revisions` (distinct, in that order) with one borrowed connection, many per query; a
  /// revision the index names but the database lacks means the database was damaged.
  public func load(_ revisions: [Revision]) throws(MVCCError) -> [StoredRevision] {
    if revisions.count == 1 {
      guard let row = try revision(revisions[0]) else { throw missingRow(revisions[0]) }
      return [row]
    }
    var rows = pending.rows(revisions)
    let unbuffered = rows.indices.filter { rows[$0] == nil }
    if !unbuffered.isEmpty {
      try readers.with { (connection) throws(MVCCError) in try connection.fill(&rows, at: unbuffered, of: revisions) }
    }
    var result: [StoredRevision] = []
    result.reserveCapacity(rows.count)
    for (position, row) in rows.enumerated() {
      guard let row else { throw missingRow(revisions[position]) }
      result.append(row)
    }
    return result
  }

  private func missingRow(_ revision: Revision) -> MVCCError {
    .corrupt(path: path, detail: "revision \(revision) is in the key index but not in the kv table")
  }

  /// Calls `body` with every change whose main revision is <= `through`, in revision order: committed rows through
  /// a read connection, then the buffered ones newer than all of those (the buffer is read first: see `revisions`).
  /// For Hash and HashKV.
  public func forEachChange(through: Int64, _ body: (StoredRevision) -> Void) throws(MVCCError) {
    let buffered = pending.rows(from: 0, through: through)
    var last: Revision?
    try readers.with { (connection) throws(MVCCError) in
      let s = try sql { () throws(SQLiteError) -> SQLiteStatement in
        let s = try connection.connection.prepare("""
          SELECT main, sub, key, value, create_revision, mod_revision, version, lease, tombstone FROM kv
          WHERE rev < ? ORDER BY rev
          """)
        try s.bind(Revision.rowIDBound(after: through), at: 1)
        return s
      }
      while try sql({ () throws(SQLiteError) in try s.step() }) {
        let revision = Revision(main: s.int64(at: 0), sub: s.int64(at: 1))
        body(StoredRevision(
          revision: revision,
          kv: KeyValue(key: s.bytes(at: 2), createRevision: s.int64(at: 4), modRevision: s.int64(at: 5),
                       version: s.int64(at: 6), value: s.bytes(at: 3), lease: s.int64(at: 7)),
          tombstone: s.int64(at: 8) != 0))
        last = revision
      }
    }
    for row in buffered where last.map({ row.revision > $0 }) ?? true { body(row) }
  }

  /// The revisions after `after` with main revision <= `through`, at most `limit`, as the writer sees them
  /// (compaction picks what to delete with it).
  public func revisionsForCompaction(after: Revision, through: Int64, limit: Int) throws(MVCCError) -> [Revision] {
    try sql { () throws(SQLiteError) -> [Revision] in
      let s = try writer.prepare("SELECT main, sub FROM kv WHERE rev > ? AND rev < ? ORDER BY rev LIMIT ?")
      try s.bind(after.rowID, at: 1)
      try s.bind(Revision.rowIDBound(after: through), at: 2)
      try s.bind(Int64(limit), at: 3)
      var result: [Revision] = []
      while try s.step() { result.append(Revision(main: s.int64(at: 0), sub: s.int64(at: 1))) }
      return result
    }
  }

  /// Calls `body` with every stored change in revision order, on the writer's connection (restart: rebuilding the
  /// index). Values are not read: each change comes with an empty `kv.value`.
  public func forEachRevision(_ body: (StoredRevision) throws(MVCCError) -> Void) throws(MVCCError) {
    let s = try sql { () throws(SQLiteError) in
      try writer.prepare(
        "SELECT main, sub, key, create_revision, mod_revision, version, lease, tombstone FROM kv ORDER BY rev")
    }
    while try sql({ () throws(SQLiteError) in try s.step() }) {
      try body(StoredRevision(
        revision: Revision(main: s.int64(at: 0), sub: s.int64(at: 1)),
        kv: KeyValue(key: s.bytes(at: 2), createRevision: s.int64(at: 3), modRevision: s.int64(at: 4),
                     version: s.int64(at: 5), value: [], lease: s.int64(at: 6)),
        tombstone: s.int64(at: 7) != 0))
    }
  }
}

/// Names of the backend's meta values.
public enum MetaKey {
  /// Index of the last applied Raft entry.
  public static let consistentIndex = "consistent_index"
  /// Term of the last applied Raft entry.
  public static let term = "term"
  /// The compaction revision whose physical deletion finished.
  public static let finishedCompactRevision = "finished_compact_revision"
  /// The compaction revision last requested (ahead of `finishedCompactRevision` while one runs or was interrupted).
  public static let scheduledCompactRevision = "scheduled_compact_revision"
  /// Prefix of raised alarms: `alarm/<member id hex>/<alarm type>`.
  public static let alarmPrefix = "alarm/"
}
