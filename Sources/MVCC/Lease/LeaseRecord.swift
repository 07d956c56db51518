// The values the lessor hands to its caller: what to persist for a lease, and what LeaseTimeToLive answers.

/// A lease's ID (etcd's lease.LeaseID): positive; 0 means "no lease" on a key and "choose one" in a grant.
public typealias LeaseID = Int64

/// What the store persists for a lease (etcd's leasepb.Lease) and gives back to `Lessor.restore(records:)`.
public struct LeaseRecord: Hashable, Sendable {
  /// The lease ID.
  public var id: LeaseID
  /// The granted TTL in seconds (after raising it to the minimum).
  public var ttl: Int64
  /// The remaining TTL in seconds saved by a checkpoint; 0 when none (the lease then gets its full TTL when a
  /// leader takes over, as etcd 3.4 does without checkpointing).
  public var remainingTTL: Int64

  /// Creates a record.
  public init(id: LeaseID, ttl: Int64, remainingTTL: Int64 = 0) {
    self.id = id
    self.ttl = ttl
    self.remainingTTL = remainingTTL
  }
}

/// The answer to LeaseTimeToLive for an existing lease.
public struct LeaseTimeToLive: Hashable, Sendable {
  /// The lease ID.
  public var id: LeaseID
  /// The TTL the lease was granted, in seconds.
  public var grantedTTL: Int64
  /// Whole seconds left before the lease expires (0 once expired; about 9.2e9 on a lessor that is not the primary,
  /// where leases do not expire, as etcd reports).
  public var remainingTTL: Int64
  /// The keys attached to the lease, in byte order.
  public var keys: [[UInt8]]
}
