import MVCC
import Testing

/// The watch hub over the real SQLite store: the store's history feeds catch-up and prev_kv, its commits feed synced
/// watchers, its compaction cancels watchers that need what it removed.
@Suite struct WatchKVStoreTests {
  private func openWatchedStore(_ fixture: StoreFixture, _ configuration: WatchHub.Configuration = .init()) throws
    -> (KVStore, WatchHub)
  {
    let store = try fixture.open()
    let hub = WatchHub(source: store, configuration: configuration)
    store.observer = hub
    return (store, hub)
  }

  @Test func watchFromAnOldRevisionGetsStoreHistoryThenLiveEventsWithPrevKV() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let (store, hub) = try openWatchedStore(fixture, WatchHub.Configuration(maxRevisionsPerRound: 16))
    for index in 0..<100 { try store.put("k\(index % 7)", "v\(index)") }  // revisions 2...101
    _ = try store.deleteRange(DeleteRangeRequest(key: b("k3")))  // 102
    let stream = hub.openStream(bufferCapacity: 1_000)
    stream.create(WatchCreateRequest(range: .prefix(b("k")), startRevision: 50, prevKV: true))
    var responses: [WatchResponse] = []
    var next = 100
    while hub.syncRound() {
      try store.put("k\(next % 7)", "v\(next)")
      next += 1
      responses += stream.drain()
    }
    try store.put("k1", "last")
    responses += stream.drain()
    let events = responses.flatMap(\.events)
    #expect(events.map(\.kv.modRevision) == Array(50...store.currentRevision))
    // Every event but a key's creation carries the value the key had just before.
    var latest: [[UInt8]: [UInt8]] = [:]
    for event in try store.events(from: 2, through: 49, limit: 0) { latest[event.kv.key] = event.kv.value }
    for event in events {
      if let previous = latest[event.kv.key] {
        #expect(event.prevKV?.value == previous, "prev_kv of \(event.kv.key) at \(event.kv.modRevision)")
      } else {
        #expect(event.prevKV == nil)
      }
      latest[event.kv.key] = event.kind == .put ? event.kv.value : nil
    }
    #expect(events.contains { $0.kind == .delete && $0.kv.key == b("k3") })
  }

  @Test func transactionOfTheStoreArrivesAsOneResponse() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let (store, hub) = try openWatchedStore(fixture)
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: .prefix(b("t"))))
    _ = stream.drain()
    _ = try store.txn(TxnRequest(success: [
      .put(PutRequest(key: b("t1"), value: b("a"))), .put(PutRequest(key: b("x"), value: b("b"))),
      .put(PutRequest(key: b("t2"), value: b("c"))),
    ]))
    let responses = stream.drain()
    #expect(responses.count == 1)
    #expect(responses.eventStamps == ["t1@2", "t2@2"])
  }

  @Test func storeCompactionCancelsAWatchThatStartsBeforeIt() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let (store, hub) = try openWatchedStore(fixture)
    for index in 0..<60 { try store.put("k", "\(index)") }  // revisions 2...61
    try store.compact(40)
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 10))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 40))
    hub.syncUntilIdle()
    let responses = stream.drain()
    let canceled = try #require(responses.first { $0.canceled })
    #expect(canceled.watchID == 0 && canceled.compactRevision == 40)
    #expect(responses.filter { $0.watchID == 1 }.flatMap(\.events).map(\.kv.modRevision) == Array(40...61))
  }

  @Test func slowConsumerNeverBlocksStoreWritesAndCatchesUpFromTheStore() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let (store, hub) = try openWatchedStore(fixture)
    let stream = hub.openStream(bufferCapacity: 8)
    stream.create(WatchCreateRequest(range: .prefix(b("key"))))
    _ = stream.drain()
    for index in 0..<10_000 {
      try store.put("key\(index % 50)", "\(index)")
      if index.isMultiple(of: 100) { hub.syncRound() }
    }
    #expect(stream.bufferedCount == 8)
    #expect(hub.statistics.pendingEvents <= 1)
    var revisions: [Int64] = []
    var rounds = 0
    repeat {
      revisions += stream.drain().flatMap(\.events).map(\.kv.modRevision)
      rounds += 1
    } while (hub.syncRound() || stream.bufferedCount > 0) && rounds < 1_000
    revisions += stream.drain().flatMap(\.events).map(\.kv.modRevision)
    #expect(revisions == Array(2...10_001))
    #expect(hub.statistics.synced == 1)
  }
}
