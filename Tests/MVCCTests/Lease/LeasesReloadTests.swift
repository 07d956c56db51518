import MVCC
import Testing

/// The lessor after its store installed another member's database: it holds exactly the new lease table and the
/// new keys, and keeps its leadership.
@Suite struct LeasesReloadTests {
  /// A target store whose lessor has leases 7 (key "mine") and 9; `primary` promotes it at time 0.
  private func openTarget(_ fixture: StoreFixture, primary: Bool) throws -> (KVStore, Leases) {
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    if primary { leases.promote(now: .zero) }
    try leases.grant(id: 7, ttl: 60, now: .zero)
    try leases.grant(id: 9, ttl: 30, now: .zero)
    try store.put("mine", "x", lease: 7)
    return (store, leases)
  }

  @Test func aFollowerTakesTheNewLeaseTableAndKeysAndStaysAFollower() throws {
    let source = try RestoreSource()  // leases 7 (keys leased-a, leased-b) and 8 (checkpointed at 100 s)
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, leases) = try openTarget(fixture, primary: false)
    try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
    try leases.reload(now: .seconds(10))
    #expect(leases.records() == source.leases.records())
    #expect(leases.timeToLive(id: 9, now: .zero) == nil)
    #expect(leases.timeToLive(id: 7, now: .zero)?.keys == [b("leased-a"), b("leased-b")])
    #expect(leases.expired(now: .seconds(1_000_000)).isEmpty)
    #expect(throws: MVCCError.leaseNotPrimary(id: 7)) { try leases.renew(id: 7, now: .zero) }
    #expect(throws: MVCCError.leaseNotFound(id: 9)) { try target.put("k", "v", lease: 9) }
    // A revoke deletes the keys the restored store put on the lease.
    try leases.revoke(id: 7)
    #expect(try target.get("leased-a").kvs.isEmpty && target.get("leased-b").kvs.isEmpty)
  }

  @Test func thePrimaryKeepsTheExpiryOfLeasesItHadAndTimesNewOnesFromNow() throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, leases) = try openTarget(fixture, primary: true)  // lease 7 expires at 60 s
    try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
    try leases.reload(now: .seconds(10))
    #expect(leases.timeToLive(id: 7, now: .seconds(10))?.remainingTTL == 50)
    #expect(leases.timeToLive(id: 8, now: .seconds(10))?.remainingTTL == 100)  // its checkpointed TTL, from now
    #expect(leases.expired(now: .seconds(61)) == [7])
    #expect(try leases.renew(id: 8, now: .seconds(20)) == 120)
  }
}
