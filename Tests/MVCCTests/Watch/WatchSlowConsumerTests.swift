import MVCC
import Testing

/// A consumer that stops reading never holds up writes: its watcher becomes a victim with one bounded response
/// aside, then catches up from history once the consumer reads again, losing and repeating nothing.
@Suite struct WatchSlowConsumerTests {
  @Test func slowConsumerNeverBlocksTenThousandWritesAndLaterGetsEveryEventOnceInOrder() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let slow = hub.openStream(bufferCapacity: 16)
    let fast = hub.openStream(bufferCapacity: 16)
    slow.create(WatchCreateRequest(range: .prefix(b("key"))))
    fast.create(WatchCreateRequest(range: .prefix(b("key"))))
    _ = slow.drain()
    var fastRevisions: [Int64] = []
    var peakPending = 0
    for index in 0..<10_000 {
      history.put("key\(index % 100)", "value\(index)")
      if index.isMultiple(of: 8) {
        fastRevisions += fast.drain().flatMap(\.events).map(\.kv.modRevision)
        hub.syncRound()
        let stats = hub.statistics
        peakPending = max(peakPending, stats.pendingEvents)
        #expect(slow.bufferedCount <= 16)
      }
    }
    // Every write completed (the loop above ran synchronously), the slow stream holds at most its buffer, and the
    // victim keeps one response aside.
    #expect(history.currentRevision == 10_001)
    #expect(slow.bufferedCount == 16)
    #expect(peakPending <= 1)
    fastRevisions += fast.drain().flatMap(\.events).map(\.kv.modRevision)
    hub.syncUntilIdle()
    fastRevisions += fast.drain().flatMap(\.events).map(\.kv.modRevision)
    #expect(fastRevisions == Array(2...10_001))

    // The consumer reads again: drain, let the hub catch it up, repeat.
    var slowRevisions: [Int64] = []
    var rounds = 0
    repeat {
      slowRevisions += slow.drain().flatMap(\.events).map(\.kv.modRevision)
      rounds += 1
    } while (hub.syncRound() || slow.bufferedCount > 0) && rounds < 1_000
    slowRevisions += slow.drain().flatMap(\.events).map(\.kv.modRevision)
    #expect(slowRevisions == Array(2...10_001))
    #expect(hub.statistics.synced == 2 && hub.statistics.victims == 0 && hub.statistics.unsynced == 0)

    // Back in the synced group, it gets live events again.
    history.put("key1", "after")
    #expect(slow.drain().eventStamps == ["key1@10002"])
  }

  @Test func aFullStreamMakesAVictimThatRetriesItsPendingResponse() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 2)
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    _ = stream.drain()
    history.put("k", "1")
    history.put("k", "2")
    history.put("k", "3")  // no room: victim
    #expect(hub.statistics.victims == 1 && hub.statistics.synced == 0)
    history.put("k", "4")  // the victim is not fed
    #expect(hub.statistics.pendingEvents == 1)
    hub.syncRound()  // still full
    #expect(hub.statistics.victims == 1)
    // Reading makes room: the pending response follows at once, without waiting for a round.
    #expect(stream.drain().eventStamps == ["k@2", "k@3", "k@4"])
    #expect(hub.statistics.victims == 0 && hub.statistics.unsynced == 1)
    hub.syncUntilIdle()
    #expect(stream.drain().eventStamps == ["k@5"])
    #expect(hub.statistics.synced == 1)
  }

  @Test func controlResponsesGetThroughAFullStream() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 1)
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    history.put("k", "1")
    stream.create(WatchCreateRequest(range: KeyRange(key: b("j"))))
    stream.cancel(watchID: 0)
    let responses = stream.drain()
    #expect(responses.map(\.created) == [true, true, false])
    #expect(responses.last?.canceled == true)
  }
}
