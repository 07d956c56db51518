// The store's side of leases: binding the lessor (with the keys each lease holds) and a revoke as one write
// transaction (the lease's keys and its row go together, at one revision).

extension KVStore {
  /// Makes `binder` the store's lease binder, hands `load` the stored lease rows and then calls `attach` with every
  /// live key that is on a lease, all under the writer lock (so no write falls between them). The first binder after
  /// an open or a restore gets the attachments its scan found; a later one (or one bound after writes) gets them
  /// from a range over every key.
  func bind(
    _ binder: LeaseBinder, load: ([LeaseRecord]) -> Void, attach: (_ key: [UInt8], _ lease: LeaseID) -> Void
  ) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      defer { leasesAtOpen = nil }
      load(try backend.leases())
      leaseBinder = binder
      if let found = leasesAtOpen, found.revision == currentRevision {
        for (key, lease) in found.attachments { attach(key, lease) }
        return
      }
      let all = try rangeLocked(RangeRequest(key: [0], rangeEnd: [0]), viewRevision: currentRevision)
      for kv in all.kvs where kv.lease != 0 { attach(kv.key, kv.lease) }
    }
  }

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
