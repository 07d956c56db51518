import MVCC
import Testing

/// Creating and canceling watchers: etcd's watch ID rules and its refusals (created and canceled at once).
@Suite struct WatchCreateTests {
  @Test func automaticIDsCountUpFromZeroAndSkipIDsTheClientTook() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a")), watchID: 1))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    let responses = stream.drain()
    #expect(responses.map(\.watchID) == [1, 0, 2])
    #expect(responses.allSatisfy { $0.created && !$0.canceled })
  }

  @Test func duplicateWatchIDIsCreatedAndCanceledWithEtcdsReason() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a")), watchID: 7))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("b")), watchID: 7))
    let responses = stream.drain()
    #expect(responses.count == 2)
    #expect(responses[1].watchID == -1)
    #expect(responses[1].created && responses[1].canceled)
    #expect(responses[1].cancelReason == "mvcc: duplicate watch ID provided on the WatchStream")
  }

  @Test func sameWatchIDOnAnotherStreamIsFine() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let first = hub.openStream()
    let second = hub.openStream()
    first.create(WatchCreateRequest(range: KeyRange(key: b("a")), watchID: 3))
    second.create(WatchCreateRequest(range: KeyRange(key: b("a")), watchID: 3))
    #expect(first.drain().map(\.canceled) == [false])
    #expect(second.drain().map(\.canceled) == [false])
  }

  @Test(arguments: [("b", "b"), ("b", "a")])
  func emptyOrBackwardRangeIsRefusedWithEtcdsReason(key: String, end: String) throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b(key), end: b(end))))
    let response = try #require(stream.drain().first)
    #expect(response.created && response.canceled && response.watchID == -1)
    #expect(response.cancelReason == "mvcc: watcher range is empty")
    #expect(hub.statistics.synced == 0)
  }

  @Test func negativeWatchIDIsRefused() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a")), watchID: -5))
    let response = try #require(stream.drain().first)
    #expect(response.created && response.canceled && response.watchID == -1)
    #expect(!response.cancelReason.isEmpty)
  }

  @Test func createdResponseCarriesTheCurrentRevisionAndComesBeforeEvents() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    history.put("a", "1")
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    history.put("a", "2")
    let responses = stream.drain()
    #expect(responses.count == 2)
    #expect(responses[0].created && responses[0].revision == 2)
    #expect(responses[1].events.map(\.kv.value) == [b("2")])
    #expect(responses[1].revision == 3)
  }

  @Test func cancelAnswersCanceledAndStopsEvents() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    _ = stream.drain()
    stream.cancel(watchID: 0)
    history.put("a", "1")
    let responses = stream.drain()
    #expect(responses.count == 1)
    #expect(responses[0].watchID == 0 && responses[0].canceled && !responses[0].created)
    #expect(hub.statistics.synced == 0)
  }

  @Test func cancelOfAnUnknownWatchIDSendsNothing() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.cancel(watchID: 42)
    #expect(stream.drain().isEmpty)
  }

  @Test func closingAStreamDropsItsWatchersAndEndsIteration() async throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    stream.create(WatchCreateRequest(range: .prefix(b("b")), startRevision: 1))
    stream.close()
    history.put("a", "1")
    #expect(hub.statistics == WatchHub.Statistics(synced: 0, unsynced: 0, victims: 0, streams: 0, pendingEvents: 0))
    var seen: [WatchResponse] = []
    for await response in stream { seen.append(response) }
    #expect(seen.count == 2)
    #expect(seen.allSatisfy { $0.created })
  }

  @Test func nextWaitsUntilACommitArrives() async throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a"))))
    _ = stream.drain()
    async let response = stream.next()
    history.put("a", "1")
    let received = try #require(await response)
    #expect(received.events.map(\.kv.modRevision) == [2])
  }
}
