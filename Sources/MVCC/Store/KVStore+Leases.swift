// A revoke as one write transaction: the lease's keys and its row go together, at one revision.

extension KVStore {
  /// Deletes `keys` (a revoked lease's) and the lease's row in one write transaction: one revision, a delete event
  /// per key that still exists.
  /// - Returns: the store revision after the transaction.
  func revokeLease(id: Int64, keys: [[UInt8]], applied: ConsistentIndex?) throws(MVCCError) -> Int64 {
    try write(applied: applied) { (txn) throws(MVCCError) -> Int64 in
      for key in keys { _ = try deleteRangeLocked(DeleteRangeRequest(key: key), in: &txn) }
      try backend.deleteLease(id: id)
      return txn.responseRevision
    }
  }
}
