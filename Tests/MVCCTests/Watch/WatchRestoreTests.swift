import MVCC
import Testing

/// Watchers of a store that installs another member's database: they catch up from the new history, or are
/// canceled when the new store compacted what they need.
@Suite struct WatchRestoreTests {
  /// A watched store holding `revisions` - 1 writes to other keys than the source's "k" keys, plus one "k9" put.
  private func openWatchedTarget(_ fixture: StoreFixture, revisions: Int) throws -> (KVStore, WatchHub) {
    let store = try fixture.open()
    let hub = WatchHub(source: store)
    store.observer = hub
    for i in 0..<(revisions - 2) { try store.put("t\(i % 5)", "old\(i)") }
    try store.put("k9", "target-only")
    return (store, hub)
  }

  @Test func aSyncedWatcherGetsTheEventsItMissedFromTheRestoredHistoryThenLiveOnes() throws {
    let source = try RestoreSource()  // revision 65, compacted at 30
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, hub) = try openWatchedTarget(fixture, revisions: 36)
    let stream = hub.openStream(bufferCapacity: 1_000)
    stream.create(WatchCreateRequest(range: .prefix(b("k"))))
    hub.syncUntilIdle()
    #expect(hub.statistics.synced == 1)
    _ = stream.drain()

    try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
    #expect(hub.statistics.synced == 0 && hub.statistics.unsynced == 1)
    hub.syncUntilIdle()
    try target.put("k1", "live")
    let events = stream.drain().flatMap(\.events)
    let missed = try source.store.events(from: 37, through: 65, limit: 0).filter { $0.kv.key.starts(with: b("k")) }
    #expect(!missed.isEmpty)
    #expect(Array(events.dropLast()) == missed)
    #expect(events.last?.kv.value == b("live") && events.last?.kv.modRevision == 66)
  }

  @Test func aWatcherThatHadNotReadTheOldStoresRevisionsGetsThemFromTheRestoredHistory() throws {
    let source = try RestoreSource()  // revision 65, compacted at 30
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, hub) = try openWatchedTarget(fixture, revisions: 36)  // revision 36 is the "k9" target-only put
    let stream = hub.openStream(bufferCapacity: 1_000)
    // Unsynced (its start revision is not past the current one) and not caught up before the restore: revision 36
    // must then come from the restored history, where it is the source's put, not the old store's "k9".
    stream.create(WatchCreateRequest(range: .prefix(b("k")), startRevision: 36))
    #expect(hub.statistics.synced == 0 && hub.statistics.unsynced == 1)
    #expect(try target.get("k9").kvs.first?.value == b("target-only"))

    try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
    hub.syncUntilIdle()
    let events = stream.drain().flatMap(\.events)
    let fromRestored = try source.store.events(from: 36, through: 65, limit: 0).filter { $0.kv.key.starts(with: b("k")) }
    #expect(fromRestored.first?.kv.modRevision == 36)
    #expect(events == fromRestored)
    #expect(!events.contains { $0.kv.value == b("target-only") })
  }

  @Test func aWatcherWhoseNextRevisionTheRestoredStoreCompactedIsCanceledAsCompacted() throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, hub) = try openWatchedTarget(fixture, revisions: 11)  // next revision 12, compacted away at 30
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: .prefix(b("k"))))
    hub.syncUntilIdle()
    _ = stream.drain()

    try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
    hub.syncUntilIdle()
    let responses = stream.drain()
    #expect(responses.count == 1)
    #expect(responses.first?.canceled == true && responses.first?.compactRevision == 30)
    #expect(responses.flatMap(\.events).isEmpty)
    #expect(hub.statistics.synced + hub.statistics.unsynced == 0)
  }
}
