// Write transactions: Put and DeleteRange, alone or inside a Txn (etcd's storeTxnWrite and the applier's Put and
// DeleteRange).

/// One write transaction in progress: every change gets main revision `begin + 1` and the next sub revision.
struct WriteTxn {
  /// The store revision when the transaction began.
  let begin: Int64
  /// Changes so far, in order.
  var changes: [StoredRevision] = []

  /// The revision of this transaction's changes.
  var revision: Int64 { begin + 1 }
  /// The revision a read inside the transaction sees (its own changes included).
  var readRevision: Int64 { changes.isEmpty ? begin : begin + 1 }
  /// The revision a Put or DeleteRange response reports (etcd: begin + 1 once anything changed).
  var responseRevision: Int64 { changes.isEmpty ? begin : begin + 1 }
}

extension KVStore {
  /// etcd's Put: stores `value` under `key`, optionally with the previous key-value; `ignore_value`/`ignore_lease`
  /// keep the current value/lease and fail with "key not found" when the key does not exist.
  public func put(_ request: PutRequest, applied: ConsistentIndex? = nil) throws(MVCCError) -> PutResponse {
    try write(applied: applied) { (txn) throws(MVCCError) -> PutResponse in
      try checkQuota(cost: request.key.count + request.value.count)
      try checkPut(request, viewRevision: txn.readRevision)
      return try putLocked(request, in: &txn)
    }
  }

  /// etcd's DeleteRange: deletes the keys in range, reporting how many (and their last values with `prev_kv`).
  public func deleteRange(_ request: DeleteRangeRequest, applied: ConsistentIndex? = nil) throws(MVCCError)
    -> DeleteRangeResponse
  {
    try write(applied: applied) { (txn) throws(MVCCError) -> DeleteRangeResponse in try deleteRangeLocked(request, in: &txn) }
  }

  /// Runs one write transaction as the only writer: records `applied` with its changes, advances the store revision
  /// when something changed (readers see the transaction from then on), commits the batch when full, then tells the
  /// observer (outside the lock).
  func write<T>(applied: ConsistentIndex?, _ body: (inout WriteTxn) throws(MVCCError) -> T) throws(MVCCError) -> T {
    let (result, txn) = try writing { () throws(MVCCError) -> (T, WriteTxn) in
      if let applied { try backend.setConsistentIndex(applied) }
      var txn = WriteTxn(begin: currentRevision)
      let result = try body(&txn)
      if !txn.changes.isEmpty { setCurrentRevision(txn.revision) }
      try backend.commitIfFull()
      return (result, txn)
    }
    if !txn.changes.isEmpty, let observer {
      observer.didCommit(revision: txn.revision, events: txn.changes.map(\.event))
    }
    return result
  }

  /// The checks etcd's applier makes before a Put changes anything: the lease exists; with ignore_value or
  /// ignore_lease, the key exists.
  func checkPut(_ request: PutRequest, viewRevision: Int64) throws(MVCCError) {
    if request.ignoreValue || request.ignoreLease {
      guard index.get(request.key, atRevision: viewRevision) != nil else { throw MVCCError.keyNotFound }
    }
    if request.lease != 0, let binder = leaseBinder, !binder.leaseExists(request.lease) {
      throw MVCCError.leaseNotFound(id: request.lease)
    }
  }

  /// A Put inside a write transaction (checks already made).
  func putLocked(_ request: PutRequest, in txn: inout WriteTxn) throws(MVCCError) -> PutResponse {
    var previous: KeyValue?
    if request.ignoreValue || request.ignoreLease || request.prevKV {
      if let found = index.get(request.key, atRevision: txn.readRevision) {
        previous = try backend.load([found.modified]).first?.kv
      }
    }
    if (request.ignoreValue || request.ignoreLease) && previous == nil { throw MVCCError.keyNotFound }
    let value = request.ignoreValue ? previous?.value ?? [] : request.value
    let lease = request.ignoreLease ? previous?.lease ?? 0 : request.lease
    try putKey(request.key, value: value, lease: lease, in: &txn)
    return PutResponse(revision: txn.revision, prevKV: request.prevKV ? previous : nil)
  }

  /// Writes one key-value at the transaction's revision (etcd's storeTxnWrite.put).
  func putKey(_ key: [UInt8], value: [UInt8], lease: Int64, in txn: inout WriteTxn) throws(MVCCError) {
    let revision = Revision(main: txn.revision, sub: Int64(txn.changes.count))
    var created = txn.revision
    var version: Int64 = 1
    if let found = index.get(key, atRevision: txn.revision) {
      created = found.created.main
      version = found.version + 1
    }
    let kv = KeyValue(key: key, createRevision: created, modRevision: txn.revision, version: version, value: value, lease: lease)
    let row = StoredRevision(revision: revision, kv: kv, tombstone: false)
    try backend.put(row)
    index.put(key, revision: revision)
    txn.changes.append(row)
    // The lessor knows which lease a key is on: no read of the old row.
    if let binder = leaseBinder {
      if lease != 0 { binder.attach(key: key, to: lease) } else { binder.detach(key: key) }
    }
  }

  /// A DeleteRange inside a write transaction.
  func deleteRangeLocked(_ request: DeleteRangeRequest, in txn: inout WriteTxn) throws(MVCCError) -> DeleteRangeResponse {
    let range = KeyRange(key: request.key, end: request.rangeEnd)
    let found = index.range(range, atRevision: txn.readRevision, limit: 0)
    let previous = request.prevKV ? try backend.load(found.revisions).map(\.kv) : []
    let binder = leaseBinder
    for key in found.keys {
      let revision = Revision(main: txn.revision, sub: Int64(txn.changes.count))
      let row = StoredRevision(
        revision: revision, kv: KeyValue(key: key, createRevision: 0, modRevision: txn.revision, version: 0, value: []),
        tombstone: true)
      try backend.put(row)
      try index.tombstone(key, revision: revision)
      txn.changes.append(row)
      binder?.detach(key: key)
    }
    return DeleteRangeResponse(revision: txn.responseRevision, deleted: Int64(found.keys.count), prevKVs: previous)
  }
}
