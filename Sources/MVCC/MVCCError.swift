// The MVCC module's one error type. Client-facing cases carry etcd's exact strings (the API layer maps them to gRPC
// codes); storage cases say what failed and what to do.

/// Errors of the MVCC store, lessor and watch layer.
public enum MVCCError: Error, Hashable, Sendable, CustomStringConvertible {
  /// A read or watch asked for a revision at or below the compacted revision.
  case compacted(requested: Int64, compactedRevision: Int64)
  /// A read asked for a revision above the current one.
  case futureRevision(requested: Int64, currentRevision: Int64)
  /// A Put with `ignore_value` or `ignore_lease` named a key that does not exist.
  case keyNotFound
  /// The lease does not exist (never granted, revoked or expired).
  case leaseNotFound(id: Int64)
  /// LeaseGrant with an ID that is already in use.
  case leaseExists(id: Int64)
  /// LeaseGrant with a TTL above the maximum.
  case leaseTTLTooLarge(ttl: Int64)
  /// A Txn puts one key twice, or puts a key that one of its deletes covers, in the same branch.
  case duplicateKeyInTxn
  /// A Txn has more compares, success ops or failure ops than `--max-txn-ops` allows.
  case tooManyTxnOps(limit: Int)
  /// The backend is at its quota: only deletes, compaction and defragmentation are accepted until the NOSPACE alarm
  /// is disarmed.
  case noSpace(quotaBytes: Int64)
  /// The database file could not be read or written.
  case backend(path: String, detail: String)
  /// The database holds data that cannot be what the store wrote.
  case corrupt(path: String, detail: String)

  /// etcd's message for the client-facing cases (without the "etcdserver: " prefix the API layer adds); a full
  /// explanation with a remedy for the storage cases.
  public var description: String {
    switch self {
    case .compacted:
      return "mvcc: required revision has been compacted"
    case .futureRevision:
      return "mvcc: required revision is a future revision"
    case .keyNotFound:
      return "key not found"
    case .leaseNotFound:
      return "requested lease not found"
    case .leaseExists:
      return "lease already exists"
    case .leaseTTLTooLarge:
      return "too large lease TTL"
    case .duplicateKeyInTxn:
      return "duplicate key given in txn request"
    case .tooManyTxnOps:
      return "too many operations in txn request"
    case .noSpace:
      return "mvcc: database space exceeded"
    case .backend(let path, let detail):
      return "backend \(path): \(detail); check the disk (space, permissions, errors in the kernel log) and restart the member"
    case .corrupt(let path, let detail):
      return "backend \(path) is corrupt: \(detail); restore this member from a backup (swetcd-ops restore) "
        + "or remove it from the cluster and add it back with an empty data dir"
    }
  }
}
