// Leases, auth and membership rows, written through the store so they share its lock and batch (and the consistent
// index of the entry that changed them). Reads of them are serialized with the writer too: they run on the writer's
// connection (which is not thread-safe) to see the open batch.

extension KVStore {
  /// Stores (or replaces) a lease row (grant, checkpoint of its remaining TTL).
  public func putLease(_ lease: LeaseRecord, applied: ConsistentIndex? = nil) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      try backend.putLease(lease)
      try backend.commitIfFull()
    }
  }

  /// Removes a lease row alone (its keys stay; `Leases.revoke` deletes the keys and the row in one transaction).
  public func deleteLease(id: Int64, applied: ConsistentIndex? = nil) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      try backend.deleteLease(id: id)
      try backend.commitIfFull()
    }
  }

  /// Every stored lease (for the lessor at start).
  public func leases() throws(MVCCError) -> [LeaseRecord] {
    try writing { () throws(MVCCError) -> [LeaseRecord] in try backend.leases() }
  }

  /// Stores (or replaces) an auth or membership blob.
  public func putBlob(_ table: BlobTable, name: String, value: [UInt8], applied: ConsistentIndex? = nil)
    throws(MVCCError)
  {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      try backend.putBlob(table, name: name, value: value)
      try backend.commitIfFull()
    }
  }

  /// Writes several blobs of `table` (a nil value removes the blob) as one change: they share one transaction, so
  /// a batch commit never persists part of them, and `applied` commits with them.
  public func writeBlobs(
    _ table: BlobTable, _ writes: [(name: String, value: [UInt8]?)], applied: ConsistentIndex? = nil
  ) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      for write in writes {
        if let value = write.value {
          try backend.putBlob(table, name: write.name, value: value)
        } else {
          try backend.deleteBlob(table, name: write.name)
        }
      }
      try backend.commitIfFull()
    }
  }

  /// Removes an auth or membership blob.
  public func deleteBlob(_ table: BlobTable, name: String, applied: ConsistentIndex? = nil) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      try backend.deleteBlob(table, name: name)
      try backend.commitIfFull()
    }
  }

  /// A blob by name, nil when absent.
  public func blob(_ table: BlobTable, name: String) throws(MVCCError) -> [UInt8]? {
    try writing { () throws(MVCCError) -> [UInt8]? in try backend.blob(table, name: name) }
  }

  /// Every blob of a table, by name.
  public func blobs(_ table: BlobTable) throws(MVCCError) -> [(name: String, value: [UInt8])] {
    try writing { () throws(MVCCError) -> [(name: String, value: [UInt8])] in try backend.blobs(table) }
  }
}
