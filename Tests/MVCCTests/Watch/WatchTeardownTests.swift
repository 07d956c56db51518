import MVCC
import Testing

/// Streams and watchers that go away while behind leave nothing behind in the hub.
@Suite struct WatchTeardownTests {
  @Test func cancelingAVictimDropsItsPendingResponse() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 1)
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    _ = stream.drain()
    history.put("k", "1")
    history.put("k", "2")
    #expect(hub.statistics.victims == 1)
    stream.cancel(watchID: 0)
    #expect(hub.statistics == WatchHub.Statistics(synced: 0, unsynced: 0, victims: 0, streams: 1, pendingEvents: 0))
    let responses = stream.drain()
    #expect(responses.eventStamps == ["k@2"])
    #expect(responses.last?.canceled == true)
  }

  @Test func closingAStreamWhileItsWatcherCatchesUpStopsTheCatchUp() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 2))
    defer { history.remove() }
    for index in 0..<10 { history.put("k", "\(index)") }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2))
    hub.syncRound()
    stream.close()
    #expect(hub.syncRound() == false)
    #expect(hub.statistics.unsynced == 0 && hub.statistics.streams == 0)
  }

  @Test func progressNotifySkipsWatchersStillCatchingUp() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 1, progressInterval: .seconds(1)))
    defer { history.remove() }
    for index in 0..<5 { history.put("k", "\(index)") }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("other")), startRevision: 2, progressNotify: true))
    _ = stream.drain()
    hub.tick(now: .seconds(0))
    hub.tick(now: .seconds(1))
    #expect(stream.drain().isEmpty)
    hub.syncUntilIdle()
    hub.tick(now: .seconds(2))
    let progress = try #require(stream.drain().first)
    #expect(progress.isProgressNotify && progress.watchID == 0 && progress.revision == 6)
  }
}
