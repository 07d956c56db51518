// How the KV store asks the lessor about leases and tells it which keys a lease holds.

/// The lessor as the KV store sees it: whether a lease exists (Put with a lease fails with "requested lease not
/// found" otherwise) and which keys are attached to which lease. Called with the store's write lock held: must not
/// call back into the store.
public protocol LeaseBinder: AnyObject, Sendable {
  /// True when the lease is granted and not revoked or expired.
  func leaseExists(_ id: Int64) -> Bool
  /// `key` now belongs to lease `id` (and no longer to any lease it had before).
  func attach(key: [UInt8], to id: Int64)
  /// `key` belongs to no lease any more (overwritten without a lease, or deleted); nothing when it had none.
  func detach(key: [UInt8])
}

/// A weak reference to the store's binder.
struct WeakLeaseBinder: Sendable {
  weak var binder: LeaseBinder?
}
