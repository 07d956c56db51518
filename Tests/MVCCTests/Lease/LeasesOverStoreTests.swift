import MVCC
import Testing

/// The lessor bound to the real SQLite store: attached keys follow Puts and deletes, a revoke deletes them in one
/// revision, and a restart brings leases and attachments back.
@Suite struct LeasesOverStoreTests {
  /// Writes a store for a restart: opens it with a lessor and lease 5 (TTL 30 s), runs `body`, commits.
  private func prepare(_ fixture: StoreFixture, _ body: (KVStore, Leases) throws -> Void) throws {
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 5, ttl: 30, now: .zero)
    try body(store, leases)
    try store.commit()
  }

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
    try prepare(fixture) { store, _ in
      try store.put("a", "1", lease: 5)
      try store.put("b", "1")
    }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    let restored = try #require(leases.timeToLive(id: 5, now: .zero))
    #expect(restored.grantedTTL == 30)
    #expect(restored.keys == [b("a")])
    try leases.revoke(id: 5)
    #expect(keys(try store.get("a", end: "z").kvs) == ["b"])
  }

  @Test func aRestartAttachesEachKeyToTheLeaseOfItsNewestChange() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    try prepare(fixture) { store, leases in
      try leases.grant(id: 6, ttl: 30, now: .zero)
      try store.put("a", "1", lease: 5)
      try store.put("a", "2", lease: 6)  // moved
      try store.put("b", "1", lease: 5)
      try store.put("b", "2")  // no lease now
      try store.put("c", "1", lease: 5)
      _ = try store.deleteRange(DeleteRangeRequest(key: b("c")))
      try store.put("d", "1", lease: 5)
    }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    #expect(leases.timeToLive(id: 5, now: .zero)?.keys == [b("d")])
    #expect(leases.timeToLive(id: 6, now: .zero)?.keys == [b("a")])
  }

  @Test func leasesBoundAfterWritesFindTheKeysAsThoseWritesLeftThem() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    try prepare(fixture) { store, _ in
      try store.put("a", "1", lease: 5)
      try store.put("b", "1", lease: 5)
    }
    let store = try fixture.open()
    try store.put("a", "2")  // before any lessor is bound: off lease 5
    try store.put("c", "1", lease: 5)
    let leases = try Leases(store: store, lessor: Lessor())
    #expect(leases.timeToLive(id: 5, now: .zero)?.keys == [b("b"), b("c")])
  }

  @Test func aCheckpointIsStoredWithTheLeaseRow() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 3, ttl: 90, now: .zero)
    try leases.grant(id: 4, ttl: 60, now: .zero)
    try leases.checkpoint(id: 4, remainingTTL: 20)
    #expect(try store.leases() == [LeaseRecord(id: 3, ttl: 90), LeaseRecord(id: 4, ttl: 60, remainingTTL: 20)])
    #expect(throws: MVCCError.leaseNotFound(id: 9)) { try leases.checkpoint(id: 9, remainingTTL: 1) }
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
