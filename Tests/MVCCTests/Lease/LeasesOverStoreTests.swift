import MVCC
import Testing

/// The lessor bound to the real SQLite store: attached keys follow Puts and deletes, a revoke deletes them in one
/// revision, and a restart brings leases and attachments back.
@Suite struct LeasesOverStoreTests {
  @Test func revokeDeletesOnlyTheLeasesKeysInOneRevisionWithOneDeleteEventEach() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let observer = RecordingObserver()
    store.observer = observer
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 5, ttl: 60, now: .zero)
    try store.put("a", "1", lease: 5)
    try store.put("b", "2", lease: 5)
    try store.put("c", "3")
    let before = store.currentRevision
    let after = try leases.revoke(id: 5)
    #expect(after == before + 1)
    #expect(keys(try store.get("a", end: "z").kvs) == ["c"])
    let last = try #require(observer.commits.last)
    #expect(last.revision == after)
    #expect(last.events.map(\.kind) == [.delete, .delete])
    #expect(last.events.map { String(decoding: $0.kv.key, as: UTF8.self) } == ["a", "b"])
    #expect(try store.leases().isEmpty)
    #expect(leases.timeToLive(id: 5, now: .zero) == nil)
    #expect(throws: MVCCError.leaseNotFound(id: 5)) { try leases.revoke(id: 5) }
  }

  @Test func overwritingOrDeletingAKeyDetachesItFromItsLease() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 5, ttl: 60, now: .zero)
    try leases.grant(id: 6, ttl: 60, now: .zero)
    try store.put("a", "1", lease: 5)
    try store.put("b", "1", lease: 5)
    try store.put("c", "1", lease: 5)
    try store.put("a", "2")  // no lease now
    try store.put("b", "2", lease: 6)  // moved to lease 6
    _ = try store.deleteRange(DeleteRangeRequest(key: b("c")))
    #expect(leases.timeToLive(id: 5, now: .zero)?.keys == [])
    #expect(leases.timeToLive(id: 6, now: .zero)?.keys == [b("b")])
    try leases.revoke(id: 5)
    #expect(keys(try store.get("a", end: "z").kvs) == ["a", "b"])
  }

  @Test func aRestartRestoresLeasesAndTheirKeys() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    do {
      let store = try fixture.open()
      let leases = try Leases(store: store, lessor: Lessor())
      try leases.grant(id: 5, ttl: 30, now: .zero)
      try store.put("a", "1", lease: 5)
      try store.put("b", "1")
      try store.commit()
    }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    let restored = try #require(leases.timeToLive(id: 5, now: .zero))
    #expect(restored.grantedTTL == 30)
    #expect(restored.keys == [b("a")])
    try leases.revoke(id: 5)
    #expect(keys(try store.get("a", end: "z").kvs) == ["b"])
  }

  @Test func aPutWithAnUnknownLeaseChangesNothing() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    let revision = store.currentRevision
    #expect(throws: MVCCError.leaseNotFound(id: 9)) { try store.put("a", "1", lease: 9) }
    #expect(store.currentRevision == revision)
    #expect(leases.records().isEmpty)
  }
}
