// etcd's checks of a KV request before it reaches the member (etcd 3.4's v3rpc key.go): an empty key, a value or a
// lease given together with ignore_value / ignore_lease, too many operations in a transaction, and a transaction
// operation with no request. Run before permissions and before anything is proposed, as in etcd.

import EtcdProto

extension Etcdserverpb_RangeRequest {
  /// Refuses a range with no key.
  func check() throws(ServerError) {
    if key.isEmpty { throw .invalidRequest(ServerError.emptyKey) }
  }
}

extension Etcdserverpb_PutRequest {
  /// Refuses a put with no key, or with a value / lease it is told to ignore.
  func check() throws(ServerError) {
    if key.isEmpty { throw .invalidRequest(ServerError.emptyKey) }
    if ignoreValue && !value.isEmpty { throw .invalidRequest("etcdserver: value is provided") }
    if ignoreLease && lease != 0 { throw .invalidRequest("etcdserver: lease is provided") }
  }
}

extension Etcdserverpb_DeleteRangeRequest {
  /// Refuses a delete with no key.
  func check() throws(ServerError) {
    if key.isEmpty { throw .invalidRequest(ServerError.emptyKey) }
  }
}

extension Etcdserverpb_TxnRequest {
  /// Refuses a transaction whose compares or either branch exceed `maxTxnOps`, a compare with no key, and any
  /// operation that fails its own check (nested transactions share what is left of the budget, as in etcd).
  func check(maxTxnOps: Int) throws(ServerError) {
    let operations = Swift.max(compare.count, success.count, failure.count)
    if operations > maxTxnOps { throw .invalidRequest("etcdserver: too many operations in txn request") }
    for comparison in compare where comparison.key.isEmpty { throw .invalidRequest(ServerError.emptyKey) }
    for op in success { try op.check(maxTxnOps: maxTxnOps - operations) }
    for op in failure { try op.check(maxTxnOps: maxTxnOps - operations) }
  }
}

extension Etcdserverpb_RequestOp {
  func check(maxTxnOps: Int) throws(ServerError) {
    switch request {
    case .requestRange(let range): try range.check()
    case .requestPut(let put): try put.check()
    case .requestDeleteRange(let delete): try delete.check()
    case .requestTxn(let txn): try txn.check(maxTxnOps: maxTxnOps)
    case nil: throw .invalidRequest("etcdserver: key not found")
    }
  }
}

extension ServerError {
  /// etcd's ErrGRPCEmptyKey.
  static let emptyKey = "etcdserver: key is not provided"
}
