// The primary lessor's duties: taking over leases on becoming leader, handing them back, and finding expired ones.

extension Lessor {
  /// Makes this lessor the primary (the member became leader): every lease expires `extend` plus its TTL (or its
  /// checkpointed remaining TTL) after `now`, as etcd 3.4 refreshes leases on leader change and restart (etcd
  /// passes the election timeout as `extend`). When many leases would expire together, later ones are pushed back
  /// so that no more than 3/4 of `revokeRate` expire in any second (etcd's pile-up spreading).
  public func promote(now: Duration, extend: Duration = .zero) {
    isPrimary = true
    queue.removeAll()
    let start = now.nanoseconds
    let base = start.addingReportingOverflow(extend.nanoseconds).partialValue
    for (id, lease) in leases {
      let expiry = Self.adding(seconds: lease.remainingTTL > 0 ? lease.remainingTTL : lease.ttl, to: base)
      leases[id]!.expiry = expiry
      queue.schedule(id, at: expiry)
    }
    if leases.count >= Self.revokeRate { spreadExpiries(now: start, extend: extend.nanoseconds) }
  }

  /// etcd's Promote adjustment: walks the leases in expiry order in one-second windows and delays the ones beyond
  /// the target rate in a window proportionally.
  private func spreadExpiries(now: Int64, extend: Int64) {
    let second: Int64 = 1_000_000_000
    let ordered = leases.map { (id: $0.key, expiry: $0.value.expiry) }
      .sorted { $0.expiry != $1.expiry ? $0.expiry < $1.expiry : $0.id < $1.id }
    guard let firstExpiry = ordered.first?.expiry else { return }
    var baseWindow = firstExpiry - now
    var nextWindow = baseWindow + second
    var expires = 0
    let target = (3 * Self.revokeRate) / 4
    for (id, expiry) in ordered {
      let remaining = expiry - now
      if remaining > nextWindow {
        baseWindow = remaining
        nextWindow = baseWindow + second
        expires = 1
        continue
      }
      expires += 1
      guard expires > target else { continue }
      let delay = Int64(Double(second) * (Double(expires) / Double(target))) - (remaining - baseWindow)
      nextWindow = baseWindow + delay
      let lease = leases[id]!
      let refreshed = Self.adding(seconds: lease.remainingTTL > 0 ? lease.remainingTTL : lease.ttl,
                                  to: now + delay + extend)
      leases[id]!.expiry = refreshed
      queue.schedule(id, at: refreshed)
    }
  }

  /// Stops being the primary (the member lost leadership): leases no longer expire here.
  public func demote() {
    isPrimary = false
    queue.removeAll()
    for id in leases.keys { leases[id]!.expiry = .max }
  }

  /// The leases that have expired at `now`, earliest expiry first, at most `limit` (etcd revokes at most
  /// `revokeRate / 2` per 500 ms check). Only the primary reports any. A reported lease is reported again after
  /// `expiredRetryInterval` if its revoke has not been applied by then.
  public func expired(now: Duration, limit: Int = Lessor.revokeRate / 2) -> [LeaseID] {
    guard isPrimary else { return [] }
    let nanoseconds = now.nanoseconds
    let (retry, overflow) = nanoseconds.addingReportingOverflow(Self.expiredRetryInterval.nanoseconds)
    var expired: [LeaseID] = []
    while expired.count < limit, let (time, id) = queue.first, time <= nanoseconds {
      expired.append(id)
      queue.schedule(id, at: overflow ? .max : retry)
    }
    return expired
  }
}
