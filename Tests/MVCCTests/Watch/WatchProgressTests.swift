import MVCC
import Testing

/// Progress requests and periodic progress notifications.
@Suite struct WatchProgressTests {
  @Test func progressRequestIsAnsweredWithTheCurrentRevisionAndWatchIDMinusOne() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    history.put("other", "1")
    _ = stream.drain()
    stream.requestProgress()
    let response = try #require(stream.drain().first)
    #expect(response.watchID == -1 && response.revision == 2 && response.events.isEmpty)
    #expect(response.isProgressNotify)
  }

  @Test func progressRequestWaitsUntilEveryWatcherCaughtUp() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 2))
    defer { history.remove() }
    for index in 0..<6 { history.put("k", "\(index)") }  // revisions 2...7
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2))
    _ = stream.drain()
    stream.requestProgress()
    #expect(stream.drain().isEmpty)
    hub.syncUntilIdle()
    let responses = stream.drain()
    let progress = try #require(responses.last)
    #expect(progress.isProgressNotify && progress.watchID == -1 && progress.revision == 7)
    #expect(responses.dropLast().flatMap(\.events).map(\.kv.modRevision) == Array(2...7))
  }

  /// etcd issue 17507: a deferred progress request must also be answered when the stream's last unsynced watcher
  /// leaves without any event going through it (here: canceled because compaction overtook its start revision).
  @Test func deferredProgressIsAnsweredWhenTheLastUnsyncedWatcherIsCanceledByCompaction() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    for index in 0..<10 { history.put("k", "\(index)") }  // revisions 2...11
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("other"))))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2))
    _ = stream.drain()
    stream.requestProgress()
    #expect(stream.drain().isEmpty)
    try history.compact(8)
    hub.syncUntilIdle()
    let responses = stream.drain()
    #expect(responses.first?.canceled == true && responses.first?.compactRevision == 8)
    let progress = try #require(responses.last)
    #expect(progress.isProgressNotify && progress.watchID == -1 && progress.revision == 11)
  }

  @Test func progressNotifyGoesOnlyToIdleSyncedWatchersThatAskedForIt() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(progressInterval: .seconds(10)))
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("idle")), progressNotify: true))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("busy")), progressNotify: true))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("quiet"))))
    _ = stream.drain()
    hub.tick(now: .seconds(0))
    history.put("busy", "1")
    hub.tick(now: .seconds(5))
    #expect(stream.drain().map(\.watchID) == [1])  // the event only; the interval has not passed
    hub.tick(now: .seconds(10))
    let first = stream.drain()
    #expect(first.map(\.watchID) == [0])
    #expect(first[0].isProgressNotify && first[0].revision == 2)
    hub.tick(now: .seconds(20))
    #expect(Set(stream.drain().map(\.watchID)) == [0, 1])
  }
}
