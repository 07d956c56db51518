// Txn: compares, then the success or failure branch at one revision (etcd 3.4's applier Txn and v3rpc's checks).

extension TxnRequest {
  /// etcd's request checks before a Txn is proposed: at most `maxOps` compares, success ops and failure ops (each
  /// nested Txn too), and no key put twice or put and deleted in the same branch.
  public func validate(maxOps: Int) throws(MVCCError) {
    try checkSizes(maxOps: maxOps)
    _ = try Self.intervals(success)
    _ = try Self.intervals(failure)
  }

  private func checkSizes(maxOps: Int) throws(MVCCError) {
    if compare.count > maxOps || success.count > maxOps || failure.count > maxOps {
      throw MVCCError.tooManyTxnOps(limit: maxOps)
    }
    for op in success + failure { if case .txn(let nested) = op { try nested.checkSizes(maxOps: maxOps) } }
  }

  /// The keys a branch puts and the ranges it deletes (nested branches included), failing on a conflict
  /// (etcd's checkIntervals).
  private static func intervals(_ ops: [RequestOp]) throws(MVCCError) -> (puts: Set<[UInt8]>, deletes: [KeyRange]) {
    var deletes: [KeyRange] = []
    for op in ops { if case .deleteRange(let d) = op { deletes.append(KeyRange(key: d.key, end: d.rangeEnd)) } }
    func deleted(_ key: [UInt8]) -> Bool { deletes.contains { $0.contains(key) } }
    var puts: Set<[UInt8]> = []
    for op in ops {
      guard case .txn(let nested) = op else { continue }
      let then = try intervals(nested.success)
      let otherwise = try intervals(nested.failure)
      for key in then.puts {
        if puts.contains(key) || deleted(key) { throw MVCCError.duplicateKeyInTxn }
        puts.insert(key)
      }
      for key in otherwise.puts {
        // The same key in both branches of one nested Txn is fine: only one branch runs.
        if puts.contains(key) && !then.puts.contains(key) { throw MVCCError.duplicateKeyInTxn }
        if deleted(key) { throw MVCCError.duplicateKeyInTxn }
        puts.insert(key)
      }
      deletes.append(contentsOf: then.deletes)
      deletes.append(contentsOf: otherwise.deletes)
    }
    for op in ops {
      guard case .put(let p) = op else { continue }
      if puts.contains(p.key) || deleted(p.key) { throw MVCCError.duplicateKeyInTxn }
      puts.insert(p.key)
    }
    return (puts, deletes)
  }

  /// True when no branch op (nested included) writes.
  var isReadOnly: Bool {
    func readOnly(_ ops: [RequestOp]) -> Bool {
      ops.allSatisfy {
        switch $0 {
        case .range: return true
        case .put, .deleteRange: return false
        case .txn(let nested): return nested.isReadOnly
        }
      }
    }
    return readOnly(success) && readOnly(failure)
  }
}

extension KVStore {
  /// etcd's Txn: every compare (and those of nested Txns on the chosen path) is evaluated against the store before
  /// the transaction, then the chosen branch runs at one new revision (if it changes anything).
  public func txn(_ request: TxnRequest, applied: ConsistentIndex? = nil) throws(MVCCError) -> TxnResponse {
    try request.validate(maxOps: options.maxTxnOps)
    if request.isReadOnly, applied == nil {
      return try lock.reading { () throws(MVCCError) -> TxnResponse in
        var txn = WriteTxn(begin: currentRevision)
        let path = compareToPath(request, viewRevision: txn.readRevision)
        try checkRequests(request, path: path, viewRevision: txn.readRevision, writes: false)
        var response = try apply(request, path: path, in: &txn)
        response.revision = txn.begin
        return response
      }
    }
    return try write(applied: applied) { (txn) throws(MVCCError) -> TxnResponse in
      let path = compareToPath(request, viewRevision: txn.readRevision)
      try checkRequests(request, path: path, viewRevision: txn.readRevision, writes: true)
      var response = try apply(request, path: path, in: &txn)
      response.revision = txn.responseRevision
      return response
    }
  }

  /// The compare outcome of the transaction and of each nested one on the chosen path, in the order they run.
  func compareToPath(_ request: TxnRequest, viewRevision: Int64) -> [Bool] {
    let succeeded = request.compare.allSatisfy { evaluate($0, viewRevision: viewRevision) }
    var path = [succeeded]
    for op in succeeded ? request.success : request.failure {
      if case .txn(let nested) = op { path.append(contentsOf: compareToPath(nested, viewRevision: viewRevision)) }
    }
    return path
  }

  /// etcd's applyCompare: every key in the compare's range must satisfy it; a missing key compares as zero values,
  /// except that a value compare on a missing key is false.
  func evaluate(_ compare: Compare, viewRevision: Int64) -> Bool {
    let found = index.range(KeyRange(key: compare.key, end: compare.rangeEnd), atRevision: viewRevision, limit: 0)
    guard !found.revisions.isEmpty else {
      if case .value = compare.target { return false }
      return Self.satisfies(compare, KeyValue(key: compare.key, createRevision: 0, modRevision: 0, version: 0, value: []))
    }
    guard let kvs = try? backend.load(found.revisions) else { return false }
    return kvs.allSatisfy { Self.satisfies(compare, $0.kv) }
  }

  static func satisfies(_ compare: Compare, _ kv: KeyValue) -> Bool {
    let order: Int
    func sign(_ a: Int64, _ b: Int64) -> Int { a < b ? -1 : (a > b ? 1 : 0) }
    switch compare.target {
    case .version(let v): order = sign(kv.version, v)
    case .create(let v): order = sign(kv.createRevision, v)
    case .mod(let v): order = sign(kv.modRevision, v)
    case .lease(let v): order = sign(kv.lease, v)
    case .value(let v):
      order = kv.value == v ? 0 : (kv.value.lexicographicallyPrecedes(v) ? -1 : 1)
    }
    switch compare.result {
    case .equal: return order == 0
    case .notEqual: return order != 0
    case .greater: return order > 0
    case .less: return order < 0
    }
  }

  /// The checks etcd makes on the chosen path before anything changes: quota and Put checks (for writes), and
  /// Range revisions (future or compacted).
  func checkRequests(_ request: TxnRequest, path: [Bool], viewRevision: Int64, writes: Bool) throws(MVCCError) {
    var position = 0
    try checkRequests(request, path: path, position: &position, viewRevision: viewRevision, writes: writes)
  }

  private func checkRequests(
    _ request: TxnRequest, path: [Bool], position: inout Int, viewRevision: Int64, writes: Bool
  ) throws(MVCCError) {
    let succeeded = path[position]
    position += 1
    for op in succeeded ? request.success : request.failure {
      switch op {
      case .put(let put) where writes:
        try checkQuota(cost: put.key.count + put.value.count)
        try checkPut(put, viewRevision: viewRevision)
      case .range(let range) where range.revision != 0:
        if range.revision > viewRevision {
          throw MVCCError.futureRevision(requested: range.revision, currentRevision: viewRevision)
        }
        if range.revision < compactedRevision {
          throw MVCCError.compacted(requested: range.revision, compactedRevision: compactedRevision)
        }
      case .txn(let nested):
        try checkRequests(nested, path: path, position: &position, viewRevision: viewRevision, writes: writes)
      default:
        break
      }
    }
  }

  /// Runs the chosen branches (etcd's applyTxn).
  private func apply(_ request: TxnRequest, path: [Bool], in txn: inout WriteTxn) throws(MVCCError) -> TxnResponse {
    var position = 0
    return try apply(request, path: path, position: &position, in: &txn)
  }

  private func apply(_ request: TxnRequest, path: [Bool], position: inout Int, in txn: inout WriteTxn)
    throws(MVCCError) -> TxnResponse
  {
    let succeeded = path[position]
    position += 1
    var responses: [ResponseOp] = []
    for op in succeeded ? request.success : request.failure {
      switch op {
      case .range(let range):
        responses.append(.range(try rangeLocked(range, viewRevision: txn.readRevision)))
      case .put(let put):
        responses.append(.put(try putLocked(put, in: &txn)))
      case .deleteRange(let delete):
        responses.append(.deleteRange(try deleteRangeLocked(delete, in: &txn)))
      case .txn(let nested):
        var response = try apply(nested, path: path, position: &position, in: &txn)
        response.revision = 0
        responses.append(.txn(response))
      }
    }
    return TxnResponse(revision: 0, succeeded: succeeded, responses: responses)
  }
}
