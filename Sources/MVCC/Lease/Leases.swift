// The member's leases: the lessor behind a lock and bound to the KV store, so that a Put with a lease attaches its
// key, an overwrite or delete detaches it, and a revoke deletes the lease's keys and its row in one write
// transaction (one revision), as etcd's lessor does through its range deleter.
import Synchronization

/// The lessor bound to a KV store.
///
/// Lock order: the store's writer lock, then the lessor's lock (the store calls the `LeaseBinder` methods while it
/// writes). Methods here that write the store take the lessor's lock only around lessor calls, never across a
/// store write.
public final class Leases: LeaseBinder, Sendable {
  private let lessor: Mutex<Lessor>
  /// The store the leases' keys and rows live in.
  public let store: KVStore

  /// Binds `lessor` to `store`: restores the leases stored there, re-attaches every live key that names a lease,
  /// and becomes the store's lease binder. The lessor is left not primary (see `promote(now:extend:)`).
  public init(store: KVStore, lessor: Lessor) throws(MVCCError) {
    self.lessor = Mutex(lessor)
    self.store = store
    try bindToStore { $0.restore(records: $1) }
  }

  /// After `KVStore.restore(fromDatabaseFile:minimumConsistentIndex:)`: the lessor takes the restored store's lease
  /// table (etcd's lessor.Recover). Leases not in it are dropped, new ones added, every key re-attached from the
  /// restored keys; leadership stays as it was: on a follower leases never expire, on the primary a lease it already
  /// had keeps its expiry and a new one expires its TTL (or checkpointed remaining TTL) after `now`.
  public func reload(now: Duration) throws(MVCCError) {
    try bindToStore { $0.reload(records: $1, now: now) }
  }

  /// Loads the store's lease rows into the lessor with `load`, re-attaches the keys and becomes the store's lease
  /// binder, under the store's writer lock.
  private func bindToStore(_ load: (Lessor, [LeaseRecord]) -> Void) throws(MVCCError) {
    // A key naming a lease that no longer exists keeps its value and lease field; nothing will revoke it (etcd
    // logs and ignores the same case): `attach(key:to:)` ignores it.
    try store.bind(
      self, load: { records in lessor.withLock { load($0, records) } },
      attach: { key, lease in attach(key: key, to: lease) })
  }

  // MARK: LeaseBinder (called under the store's write lock)

  public func leaseExists(_ id: Int64) -> Bool {
    lessor.withLock { $0.leases[id] != nil }
  }

  public func attach(key: [UInt8], to id: Int64) {
    lessor.withLock { _ = try? $0.attach(key, to: id) }
  }

  public func detach(key: [UInt8]) {
    lessor.withLock { lessor in
      if let id = lessor.lease(attachedTo: key) { _ = try? lessor.detach(key, from: id) }
    }
  }

  // MARK: Applied through Raft (every member, in log order)

  /// LeaseGrant: grants the lease and stores its row with the applied index.
  /// - Throws: `.leaseExists`, `.leaseTTLTooLarge`, or a backend error.
  public func grant(id: LeaseID, ttl: Int64, now: Duration, applied: ConsistentIndex? = nil) throws(MVCCError)
    -> LeaseRecord
  {
    let record = try lessor.withLock { (lessor) throws(MVCCError) -> LeaseRecord in
      try lessor.grant(id: id, ttl: ttl, now: now)
    }
    try store.putLease(record, applied: applied)
    return record
  }

  /// LeaseRevoke (or an expiry the leader proposed): deletes the lease's keys and its row in one transaction.
  /// - Returns: the store revision after the revoke.
  /// - Throws: `.leaseNotFound`, or a backend error.
  @discardableResult
  public func revoke(id: LeaseID, applied: ConsistentIndex? = nil) throws(MVCCError) -> Int64 {
    let keys = try lessor.withLock { (lessor) throws(MVCCError) -> [[UInt8]] in try lessor.revoke(id: id) }
    return try store.revokeLease(id: id, keys: keys, applied: applied)
  }

  /// A checkpoint of a lease's remaining TTL: kept by the lessor and stored with the lease's row.
  public func checkpoint(id: LeaseID, remainingTTL: Int64, applied: ConsistentIndex? = nil) throws(MVCCError) {
    let record = try lessor.withLock { (lessor) throws(MVCCError) -> LeaseRecord in
      try lessor.checkpoint(id: id, remainingTTL: remainingTTL)
    }
    try store.putLease(record, applied: applied)
  }

  // MARK: Served locally

  /// LeaseKeepAlive on the primary: see `Lessor.renew(id:now:)`.
  public func renew(id: LeaseID, now: Duration) throws(MVCCError) -> Int64 {
    try lessor.withLock { (lessor) throws(MVCCError) -> Int64 in try lessor.renew(id: id, now: now) }
  }

  /// LeaseTimeToLive (nil: etcd answers TTL -1).
  public func timeToLive(id: LeaseID, now: Duration) -> LeaseTimeToLive? {
    lessor.withLock { $0.timeToLive(id: id, now: now) }
  }

  /// LeaseLeases: every lease.
  public func records() -> [LeaseRecord] { lessor.withLock { $0.records() } }

  /// A new unused lease ID, chosen by the member that proposes a grant without one.
  public func newLeaseID() -> LeaseID { lessor.withLock { $0.newLeaseID() } }

  /// This member became leader: see `Lessor.promote(now:extend:)`.
  public func promote(now: Duration, extend: Duration = .zero) { lessor.withLock { $0.promote(now: now, extend: extend) } }

  /// This member is no longer leader.
  public func demote() { lessor.withLock { $0.demote() } }

  /// Expired leases for the leader to propose as revokes.
  public func expired(now: Duration, limit: Int = Lessor.revokeRate / 2) -> [LeaseID] {
    lessor.withLock { $0.expired(now: now, limit: limit) }
  }
}
