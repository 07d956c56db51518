import MVCC
import Testing

/// Watchers from old revisions: history in bounded rounds, then live events, with no gap and no duplicate; and
/// cancellation when the history they need was compacted.
@Suite struct WatchCatchUpTests {
  @Test func watchFromAnOldRevisionGetsHistoryThenLiveEventsWithoutGapOrDuplicate() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 7))
    defer { history.remove() }
    for index in 0..<50 { history.put("k\(index % 5)", "v\(index)") }  // revisions 2...51
    let stream = hub.openStream(bufferCapacity: 1_000)
    stream.create(WatchCreateRequest(range: .prefix(b("k")), startRevision: 10))
    var received: [WatchResponse] = []
    var next = 51
    // Writes keep coming while the watcher catches up.
    while hub.syncRound() {
      history.put("k\(next % 5)", "v\(next)")
      next += 1
      received += stream.drain()
    }
    for _ in 0..<5 {
      history.put("k\(next % 5)", "v\(next)")
      next += 1
    }
    received += stream.drain()
    let revisions = received.flatMap(\.events).map(\.kv.modRevision)
    #expect(revisions == Array(10...Int64(next)))
    #expect(hub.statistics.synced == 1 && hub.statistics.unsynced == 0)
  }

  @Test func eachRoundReadsAtMostTheConfiguredNumberOfRevisions() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 10))
    defer { history.remove() }
    for index in 0..<100 { history.put("k", "\(index)") }  // revisions 2...101
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2))
    _ = stream.drain()
    var perRound: [[Int64]] = []
    while hub.syncRound() || stream.bufferedCount > 0 {
      let events = stream.drain().flatMap(\.events).map(\.kv.modRevision)
      if !events.isEmpty { perRound.append(events) }
    }
    #expect(perRound.count == 10)
    #expect(perRound.allSatisfy { $0.count == 10 })
    #expect(perRound.flatMap { $0 } == Array(2...101))
  }

  /// etcd 3.4 stamps each catch-up response with the store's revision when the round started, even when the round
  /// covers only part of the history up to it.
  @Test func catchUpResponsesCarryTheCurrentRevision() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 5))
    defer { history.remove() }
    for index in 0..<12 { history.put(index.isMultiple(of: 2) ? "a" : "b", "v") }  // revisions 2...13
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("a")), startRevision: 2))
    hub.syncUntilIdle()
    let events = stream.drain().filter { !$0.events.isEmpty }
    #expect(events.map(\.revision) == [13, 13, 13])
    #expect(events.eventStamps == ["a@2", "a@4", "a@6", "a@8", "a@10", "a@12"])
  }

  @Test func watchersOnOneStreamCatchUpFromDifferentRevisions() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 3))
    defer { history.remove() }
    for index in 0..<20 { history.put("k", "\(index)") }  // revisions 2...21
    let stream = hub.openStream(bufferCapacity: 1_000)
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 5))
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 15))
    hub.syncUntilIdle()
    let responses = stream.drain()
    let first = responses.filter { $0.watchID == 0 }.flatMap(\.events).map(\.kv.modRevision)
    let second = responses.filter { $0.watchID == 1 }.flatMap(\.events).map(\.kv.modRevision)
    #expect(first == Array(5...21))
    #expect(second == Array(15...21))
  }

  @Test func startRevisionBelowTheCompactedRevisionIsCanceledWithCompactRevision() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    for index in 0..<10 { history.put("k", "\(index)") }  // revisions 2...11
    try history.compact(8)
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 3))
    let responses = stream.drain()
    #expect(responses.count == 2)
    #expect(responses[0].created && !responses[0].canceled && responses[0].watchID == 0)
    #expect(responses[1].canceled && responses[1].compactRevision == 8 && responses[1].watchID == 0)
    #expect(responses[1].revision == 0, "etcd 3.4's compaction cancel has no header revision")
    #expect(hub.statistics.unsynced == 0)
  }

  @Test func startRevisionAtTheCompactedRevisionStillWorks() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    for index in 0..<10 { history.put("k", "\(index)") }
    try history.compact(8)
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 8))
    hub.syncUntilIdle()
    #expect(stream.drain().flatMap(\.events).map(\.kv.modRevision) == [8, 9, 10, 11])
  }

  @Test func compactionDuringCatchUpCancelsTheWatcher() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 5))
    defer { history.remove() }
    for index in 0..<30 { history.put("k", "\(index)") }  // revisions 2...31
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2))
    hub.syncRound()  // 2...6 delivered
    try history.compact(20)
    hub.syncUntilIdle()
    let responses = stream.drain()
    let last = try #require(responses.last)
    #expect(last.canceled && last.compactRevision == 20 && last.revision == 0)
    #expect(responses.flatMap(\.events).map(\.kv.modRevision) == Array(2...6))
    #expect(hub.statistics.unsynced == 0 && hub.statistics.synced == 0)
  }

  @Test func aSourceThatRefusesCompactedHistoryCancelsTheWatcher() throws {
    let history = try StoreHistory()
    defer { history.remove() }
    for index in 0..<10 { history.put("k", "\(index)") }
    // The compaction lands between the round's check and its read: the source's error decides.
    let flaky = CompactingSource(history: history, compactTo: 6)
    let hub2 = WatchHub(source: flaky)
    let stream2 = hub2.openStream()
    stream2.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 3))
    hub2.syncUntilIdle()
    let responses = stream2.drain()
    #expect(responses.last?.canceled == true)
    #expect(responses.last?.compactRevision == 6)
    #expect(hub2.lastSyncError == .compacted(requested: 3, compactedRevision: 6))
  }

  @Test func watchersAlreadySyncedAreUntouchedByCatchUp() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let live = hub.openStream()
    live.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    history.put("k", "1")
    let reads = history.eventReads
    hub.syncUntilIdle()
    #expect(history.eventReads == reads)
    #expect(live.drain().eventStamps == ["k@2"])
  }
}

/// A source whose compaction happens just after the hub checked the compacted revision.
final class CompactingSource: WatchEventSource {
  let history: StoreHistory
  let compactTo: Int64
  init(history: StoreHistory, compactTo: Int64) {
    self.history = history
    self.compactTo = compactTo
  }
  var currentRevision: Int64 { history.currentRevision }
  var compactedRevision: Int64 { 0 }
  func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event] {
    if history.compactedRevision < compactTo { try history.compact(compactTo) }
    return try history.events(from: from, through: through, limit: limit)
  }
  func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue? {
    try history.value(of: key, atRevision: rev)
  }
}

/// Catch-up rounds share out their watcher budget fairly.
@Suite struct WatchCatchUpFairnessTests {
  @Test func watchersBeyondTheRoundBudgetTakeTurnsWhileWritesContinue() throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 1, maxWatchersPerRound: 2))
    defer { history.remove() }
    for index in 0..<20 { history.put("k", "\(index)") }  // revisions 2...21
    let stream = hub.openStream(bufferCapacity: 1_000)
    for _ in 0..<5 { stream.create(WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 2)) }
    _ = stream.drain()
    // One write per round: no watcher can finish, so only turn-taking lets all of them progress.
    for round in 0..<6 {
      hub.syncRound()
      history.put("k", "live\(round)")
    }
    let served = Set(stream.drain().filter { !$0.events.isEmpty }.map(\.watchID))
    #expect(served == [0, 1, 2, 3, 4])
  }
}
