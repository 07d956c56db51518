// The lessor: etcd's lease/lessor.go as a pure, deterministic state machine. Time comes in as a monotonic `now`
// (a Duration since any fixed origin); persistence and proposals are the caller's.

/// Grants, renews and revokes leases and tracks the keys attached to them.
///
/// Every member applies grants, revokes, attaches and detaches in log order. Only the primary lessor (the
/// leader's, after `promote(now:extend:)`) renews leases and reports expired ones (`expired(now:limit:)`), which the
/// server proposes as revokes through Raft; other members hold every lease forever, as etcd does.
///
/// Not internally locked: `Leases` guards it with its own lock.
public final class Lessor: @unchecked Sendable {
  /// The largest TTL a grant accepts, in seconds (etcd's MaxLeaseTTL).
  public static let maximumTTL: Int64 = 9_000_000_000
  /// Leases revoked per second at most when many expire together (etcd's leaseRevokeRate).
  public static let revokeRate = 1_000
  /// How long a reported expired lease waits before it is reported again when its revoke has not been applied.
  public static let expiredRetryInterval: Duration = .seconds(3)

  /// The smallest TTL a lease gets, in seconds: a smaller requested TTL is raised to it.
  public let minimumTTL: Int64

  struct Lease {
    var ttl: Int64
    var remainingTTL: Int64
    /// When the lease expires, in nanoseconds of `now`; `Int64.max` (forever) on a lessor that is not the primary.
    var expiry: Int64
    var keys: Set<[UInt8]>
  }

  var leases: [LeaseID: Lease] = [:]
  /// The lease each attached key belongs to.
  private var owners: [[UInt8]: LeaseID] = [:]
  /// The primary's expiry schedule (empty otherwise).
  var queue = LeaseExpiryQueue()
  /// True between `promote` and `demote`: this lessor renews leases and reports expired ones.
  public internal(set) var isPrimary = false
  private var generator: any RandomNumberGenerator

  /// Creates an empty, non-primary lessor.
  /// - Parameters:
  ///   - minimumTTL: the smallest TTL in seconds; see `minimumTTL(electionTicks:heartbeatInterval:)`.
  ///   - idGenerator: the source of IDs for grants that ask the lessor to choose one.
  public init(minimumTTL: Int64 = 2, idGenerator: some RandomNumberGenerator = SystemRandomNumberGenerator()) {
    self.minimumTTL = minimumTTL
    self.generator = idGenerator
  }

  /// etcd's minimum TTL: ceil(1.5 x election timeout) in seconds, with the timeout counted as etcd does
  /// (`3 * electionTicks / 2` heartbeats). 2 s for the defaults (10 ticks of 100 ms).
  public static func minimumTTL(electionTicks: Int, heartbeatInterval: Duration) -> Int64 {
    let timeout = heartbeatInterval * ((3 * electionTicks) / 2)
    let nanoseconds = timeout.nanoseconds
    return (nanoseconds + 999_999_999) / 1_000_000_000
  }

  /// Number of leases.
  public var count: Int { leases.count }

  /// A positive ID no lease uses, from the ID generator. The server calls it before proposing a grant without an
  /// ID, so that every member applies the same ID.
  public func newLeaseID() -> LeaseID {
    while true {
      let id = LeaseID(bitPattern: generator.next() & UInt64(Int64.max))
      if id != 0 && leases[id] == nil { return id }
    }
  }

  /// Grants a lease of `ttl` seconds (raised to the minimum TTL). `id` 0 lets the lessor choose the ID.
  /// On the primary the lease expires at `now + ttl`; elsewhere it lasts until a leader takes over.
  /// - Returns: the record to persist, with the granted TTL.
  /// - Throws: `.leaseTTLTooLarge` above `maximumTTL`, `.leaseExists` when the ID is in use.
  public func grant(id: LeaseID, ttl: Int64, now: Duration) throws(MVCCError) -> LeaseRecord {
    guard ttl <= Self.maximumTTL else { throw .leaseTTLTooLarge(ttl: ttl) }
    let id = id == 0 ? newLeaseID() : id
    guard leases[id] == nil else { throw .leaseExists(id: id) }
    let granted = max(ttl, minimumTTL)
    var lease = Lease(ttl: granted, remainingTTL: 0, expiry: .max, keys: [])
    if isPrimary {
      lease.expiry = Self.adding(seconds: granted, to: now.nanoseconds)
      queue.schedule(id, at: lease.expiry)
    }
    leases[id] = lease
    return LeaseRecord(id: id, ttl: granted)
  }

  /// Revokes a lease and detaches its keys.
  /// - Returns: the keys that were attached, in byte order, for the store to delete in the same transaction as the
  ///   lease record.
  /// - Throws: `.leaseNotFound` when there is no such lease.
  public func revoke(id: LeaseID) throws(MVCCError) -> [[UInt8]] {
    guard let lease = leases.removeValue(forKey: id) else { throw .leaseNotFound(id: id) }
    queue.remove(id)
    for key in lease.keys where owners[key] == id { owners[key] = nil }
    return lease.keys.sorted { compareBytes($0, $1) < 0 }
  }

  /// Renews a lease (LeaseKeepAlive): it expires `ttl` seconds from `now` again.
  /// - Returns: the lease's TTL.
  /// - Throws: `.leaseNotPrimary` when this lessor is not the primary, `.leaseNotFound` for an unknown lease,
  ///   `.leaseExpired` for a lease that expired and awaits its revoke.
  public func renew(id: LeaseID, now: Duration) throws(MVCCError) -> Int64 {
    guard isPrimary else { throw .leaseNotPrimary(id: id) }
    guard var lease = leases[id] else { throw .leaseNotFound(id: id) }
    let nanoseconds = now.nanoseconds
    guard lease.expiry > nanoseconds else { throw .leaseExpired(id: id) }
    lease.remainingTTL = 0
    lease.expiry = Self.adding(seconds: lease.ttl, to: nanoseconds)
    leases[id] = lease
    queue.schedule(id, at: lease.expiry)
    return lease.ttl
  }

  /// Records a checkpoint of a lease's remaining TTL (applied from the log on every member); 0 clears it.
  /// - Returns: the lease's record to persist.
  /// - Throws: `.leaseNotFound` for an unknown lease.
  @discardableResult
  public func checkpoint(id: LeaseID, remainingTTL: Int64) throws(MVCCError) -> LeaseRecord {
    guard var lease = leases[id] else { throw .leaseNotFound(id: id) }
    lease.remainingTTL = max(0, remainingTTL)
    leases[id] = lease
    return LeaseRecord(id: id, ttl: lease.ttl, remainingTTL: lease.remainingTTL)
  }

  /// LeaseTimeToLive: the granted TTL, the whole seconds left at `now` and the attached keys; nil for an unknown
  /// lease (etcd then answers TTL -1).
  public func timeToLive(id: LeaseID, now: Duration) -> LeaseTimeToLive? {
    guard let lease = leases[id] else { return nil }
    let remaining = lease.expiry == .max
      ? Int64.max / 1_000_000_000
      : max(0, (lease.expiry - now.nanoseconds) / 1_000_000_000)
    return LeaseTimeToLive(id: id, grantedTTL: lease.ttl, remainingTTL: remaining,
                           keys: lease.keys.sorted { compareBytes($0, $1) < 0 })
  }

  /// Every lease as the store persists it, by ID (LeaseLeases lists their IDs).
  public func records() -> [LeaseRecord] {
    leases.map { LeaseRecord(id: $0.key, ttl: $0.value.ttl, remainingTTL: $0.value.remainingTTL) }
      .sorted { $0.id < $1.id }
  }

  /// Attaches `key` to a lease (a Put with that lease). A key belongs to one lease: attaching it moves it.
  /// - Throws: `.leaseNotFound` for an unknown lease.
  public func attach(_ key: [UInt8], to id: LeaseID) throws(MVCCError) {
    guard leases[id] != nil else { throw .leaseNotFound(id: id) }
    if let previous = owners.updateValue(id, forKey: key), previous != id { leases[previous]?.keys.remove(key) }
    leases[id]!.keys.insert(key)
  }

  /// Detaches `key` from a lease (the key was overwritten without it, or deleted).
  /// - Throws: `.leaseNotFound` for an unknown lease.
  public func detach(_ key: [UInt8], from id: LeaseID) throws(MVCCError) {
    guard leases[id] != nil else { throw .leaseNotFound(id: id) }
    leases[id]!.keys.remove(key)
    if owners[key] == id { owners[key] = nil }
  }

  /// The lease `key` is attached to, nil when none.
  public func lease(attachedTo key: [UInt8]) -> LeaseID? { owners[key] }

  /// Replaces every lease with `records` (read back from the backend at start or from a snapshot), raising TTLs
  /// below the minimum. Leases come back without keys (the store re-attaches them as it rebuilds its index) and
  /// without expiry: the lessor is left not primary until `promote(now:extend:)`, which gives every lease its TTL
  /// again.
  public func restore(records: [LeaseRecord]) {
    isPrimary = false
    reload(records: records, now: .zero)
  }

  /// Replaces every lease with `records` (a restored store's lease table) without changing leadership. Leases come
  /// back without keys (the store re-attaches them). On the primary, a lease that was already here keeps its
  /// expiry and a new one expires its remaining (or full) TTL after `now`; elsewhere leases do not expire.
  public func reload(records: [LeaseRecord], now: Duration) {
    let previous = leases
    leases.removeAll(keepingCapacity: true)
    owners.removeAll()
    queue.removeAll()
    for record in records {
      let ttl = max(record.ttl, minimumTTL)
      var lease = Lease(ttl: ttl, remainingTTL: record.remainingTTL, expiry: .max, keys: [])
      if isPrimary {
        lease.expiry = previous[record.id]?.expiry
          ?? Self.adding(seconds: record.remainingTTL > 0 ? record.remainingTTL : ttl, to: now.nanoseconds)
        queue.schedule(record.id, at: lease.expiry)
      }
      leases[record.id] = lease
    }
  }

  /// `nanoseconds + seconds`, saturating at forever.
  static func adding(seconds: Int64, to nanoseconds: Int64) -> Int64 {
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return .max }
    let (sum, overflowed) = nanoseconds.addingReportingOverflow(product)
    return overflowed ? .max : sum
  }
}

extension Duration {
  /// The duration in whole nanoseconds (saturating).
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return seconds < 0 ? .min : .max }
    return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
  }
}
