import CSQLite

/// An error reported by SQLite, with the operation that failed and SQLite's own message.
public struct SQLiteError: Error, CustomStringConvertible, Equatable {
  /// SQLite's result code (`SQLITE_*`).
  public let code: Int32
  /// What we were doing, e.g. `open /var/lib/swetcd/member/snap/db`.
  public let operation: String
  /// SQLite's message for the failure.
  public let message: String

  public var description: String { "sqlite: \(operation) failed: \(message) (code \(code))" }
}

/// One connection to an SQLite database: the backend the MVCC store is built on.
///
/// Not thread-safe: a connection belongs to one owner (an actor or a serial queue) at a time.
public final class SQLiteConnection {
  private var handle: OpaquePointer?
  /// The path opened (`:memory:` for an in-memory database).
  public let path: String

  /// Opens (creating if needed) the database at `path`; `":memory:"` opens a private in-memory database.
  public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
    self.path = path
    let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
    var db: OpaquePointer?
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    guard rc == SQLITE_OK, let db else {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
      sqlite3_close_v2(db)
      throw SQLiteError(code: rc, operation: "open \(path)", message: message)
    }
    handle = db
  }

  deinit { sqlite3_close_v2(handle) }

  /// The SQLite library version, e.g. `3.40.1`.
  public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

  /// Runs one or more statements that return no rows.
  public func execute(_ sql: String) throws(SQLiteError) {
    var errorMessage: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
    guard rc == SQLITE_OK else {
      let message = errorMessage.map { String(cString: $0) } ?? currentMessage
      sqlite3_free(errorMessage)
      throw SQLiteError(code: rc, operation: "execute \(sql.prefix(60))", message: message)
    }
  }

  /// Prepares a statement for binding and stepping.
  public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
    var statement: OpaquePointer?
    let rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
    guard rc == SQLITE_OK, let statement else {
      throw SQLiteError(code: rc, operation: "prepare \(sql.prefix(60))", message: currentMessage)
    }
    return SQLiteStatement(statement: statement, connection: self)
  }

  /// Rows changed by the most recent INSERT, UPDATE or DELETE.
  public var changes: Int { Int(sqlite3_changes(handle)) }

  /// True while a transaction is open (BEGIN without COMMIT or ROLLBACK yet).
  public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

  /// Runs a query whose first row's first column is an integer (PRAGMA page_count, SELECT count(*)...); 0 when the
  /// query returns no row.
  public func scalar(_ sql: String) throws(SQLiteError) -> Int64 {
    let statement = try prepare(sql)
    return try statement.step() ? statement.int64(at: 0) : 0
  }

  var currentMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement. Bind parameters (1-based), then `step()` until it returns false.
public final class SQLiteStatement {
  private let statement: OpaquePointer
  private let connection: SQLiteConnection

  init(statement: OpaquePointer, connection: SQLiteConnection) {
    self.statement = statement
    self.connection = connection
  }

  deinit { sqlite3_finalize(statement) }

  public func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
    try check(sqlite3_bind_int64(statement, index, value), "bind int64 #\(index)")
  }

  public func bind(_ bytes: [UInt8], at index: Int32) throws(SQLiteError) {
    let rc = bytes.withUnsafeBytes { raw in
      // SQLITE_TRANSIENT: SQLite copies the bytes before this call returns.
      sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }
    try check(rc, "bind blob #\(index)")
  }

  public func bind(_ text: String, at index: Int32) throws(SQLiteError) {
    let rc = sqlite3_bind_text(statement, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    try check(rc, "bind text #\(index)")
  }

  /// Runs a statement that returns no rows, then rewinds it for the next use (bindings are kept until rebound).
  public func run() throws(SQLiteError) {
    defer { sqlite3_reset(statement) }
    _ = try step()
  }

  /// Advances to the next row; false when the statement is done.
  public func step() throws(SQLiteError) -> Bool {
    let rc = sqlite3_step(statement)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default: throw SQLiteError(code: rc, operation: "step", message: connection.currentMessage)
    }
  }

  /// Clears bindings and rewinds, so the statement can run again.
  public func reset() {
    sqlite3_reset(statement)
    sqlite3_clear_bindings(statement)
  }

  /// Rewinds without clearing bindings (cheaper than `reset()` when every parameter is rebound anyway).
  public func rewind() { sqlite3_reset(statement) }

  public func int64(at column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

  public func text(at column: Int32) -> String {
    guard let base = sqlite3_column_text(statement, column) else { return "" }
    return String(cString: base)
  }

  public func bytes(at column: Int32) -> [UInt8] {
    let count = Int(sqlite3_column_bytes(statement, column))
    guard count > 0, let base = sqlite3_column_blob(statement, column) else { return [] }
    return Array(UnsafeRawBufferPointer(start: base, count: count))
  }

  private func check(_ rc: Int32, _ operation: String) throws(SQLiteError) {
    guard rc == SQLITE_OK else { throw SQLiteError(code: rc, operation: operation, message: connection.currentMessage) }
  }
}
