import MVCC
import Testing

/// The SQLite system library links and works: the MVCC backend's foundation.
@Suite struct SQLiteConnectionTests {
  @Test func inMemoryDatabaseStoresAndReadsBackRows() throws {
    let db = try SQLiteConnection(path: ":memory:")
    try db.execute("CREATE TABLE kv (key BLOB PRIMARY KEY, rev INTEGER NOT NULL)")
    let insert = try db.prepare("INSERT INTO kv (key, rev) VALUES (?, ?)")
    for rev in Int64(1)...3 {
      try insert.bind(Array("key\(rev)".utf8), at: 1)
      try insert.bind(rev, at: 2)
      #expect(try insert.step() == false)
      insert.reset()
    }
    let query = try db.prepare("SELECT key, rev FROM kv WHERE rev >= ? ORDER BY rev")
    try query.bind(2, at: 1)
    var rows: [(String, Int64)] = []
    while try query.step() { rows.append((String(decoding: query.bytes(at: 0), as: UTF8.self), query.int64(at: 1))) }
    #expect(rows.map(\.0) == ["key2", "key3"])
    #expect(rows.map(\.1) == [2, 3])
  }

  @Test func badSQLReportsTheOperationAndSQLiteMessage() throws {
    let db = try SQLiteConnection(path: ":memory:")
    let error = #expect(throws: SQLiteError.self) { try db.execute("SELECT * FROM missing_table") }
    #expect(error?.message.contains("no such table: missing_table") == true)
    #expect(error?.description.hasPrefix("sqlite: execute SELECT") == true)
  }

  @Test func openingAFileInAMissingDirectoryFailsWithThePath() {
    let error = #expect(throws: SQLiteError.self) {
      _ = try SQLiteConnection(path: "/nonexistent-swetcd-dir/db")
    }
    #expect(error?.operation == "open /nonexistent-swetcd-dir/db")
  }

  @Test func libraryVersionIsThree() {
    #expect(SQLiteConnection.libraryVersion.hasPrefix("3."))
  }
}
