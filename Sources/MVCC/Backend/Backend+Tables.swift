// The backend's small tables: leases (for the lessor), auth and membership (blobs by name, for issues 7 and 8).

/// The tables that hold opaque values by name.
public enum BlobTable: String, Sendable, CaseIterable {
  /// Users, roles and the auth-enabled flag (issue 7).
  case auth
  /// Cluster members (issue 8).
  case members
}

extension Backend {
  /// Stores (or replaces) a lease in the open transaction.
  public func putLease(_ lease: LeaseRecord) throws(MVCCError) {
    try writeStatement("INSERT OR REPLACE INTO lease (id, ttl, remaining_ttl) VALUES (?, ?, ?)", bytes: 24) {
      s throws(SQLiteError) in
      try s.bind(lease.id, at: 1)
      try s.bind(lease.ttl, at: 2)
      try s.bind(lease.remainingTTL, at: 3)
    }
  }

  /// Removes a lease in the open transaction.
  public func deleteLease(id: Int64) throws(MVCCError) {
    try writeStatement("DELETE FROM lease WHERE id = ?", bytes: 0) { s throws(SQLiteError) in try s.bind(id, at: 1) }
  }

  /// Every stored lease (writer's view), by ID.
  public func leases() throws(MVCCError) -> [LeaseRecord] {
    try sql { () throws(SQLiteError) -> [LeaseRecord] in
      let s = try writer.prepare("SELECT id, ttl, remaining_ttl FROM lease ORDER BY id")
      var result: [LeaseRecord] = []
      while try s.step() { result.append(LeaseRecord(id: s.int64(at: 0), ttl: s.int64(at: 1), remainingTTL: s.int64(at: 2))) }
      return result
    }
  }

  /// Stores (or replaces) a blob in the open transaction.
  public func putBlob(_ table: BlobTable, name: String, value: [UInt8]) throws(MVCCError) {
    try writeStatement(
      "INSERT OR REPLACE INTO \(table.rawValue) (name, value) VALUES (?, ?)", bytes: name.utf8.count + value.count
    ) { s throws(SQLiteError) in
      try s.bind(name, at: 1)
      try s.bind(value, at: 2)
    }
  }

  /// Removes a blob in the open transaction.
  public func deleteBlob(_ table: BlobTable, name: String) throws(MVCCError) {
    try writeStatement("DELETE FROM \(table.rawValue) WHERE name = ?", bytes: 0) { s throws(SQLiteError) in
      try s.bind(name, at: 1)
    }
  }

  /// A blob by name (writer's view), nil when absent.
  public func blob(_ table: BlobTable, name: String) throws(MVCCError) -> [UInt8]? {
    try sql { () throws(SQLiteError) -> [UInt8]? in
      let s = try writer.prepare("SELECT value FROM \(table.rawValue) WHERE name = ?")
      try s.bind(name, at: 1)
      return try s.step() ? s.bytes(at: 0) : nil
    }
  }

  /// Every blob of a table (writer's view), by name.
  public func blobs(_ table: BlobTable) throws(MVCCError) -> [(name: String, value: [UInt8])] {
    try sql { () throws(SQLiteError) -> [(name: String, value: [UInt8])] in
      let s = try writer.prepare("SELECT name, value FROM \(table.rawValue) ORDER BY name")
      var result: [(name: String, value: [UInt8])] = []
      while try s.step() { result.append((s.text(at: 0), s.bytes(at: 1))) }
      return result
    }
  }

  /// Runs one write statement of about `bytes` bytes in the open transaction after `bind` fills its parameters.
  private func writeStatement(_ text: String, bytes: Int, bind: (SQLiteStatement) throws(SQLiteError) -> Void)
    throws(MVCCError)
  {
    try sql { () throws(SQLiteError) in
      try beginIfNeeded()
      let s = try writer.prepare(text)
      try bind(s)
      try s.run()
    }
    countWrite(bytes: bytes)
  }
}
