import MVCC
import Testing

/// Commits that reach the hub late, twice or out of order.
@Suite struct WatchCommitOrderTests {
  @Test func commitsNotifiedOutOfOrderAreDeliveredOnceInOrder() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: .prefix(b("k"))))
    _ = stream.drain()
    history.observer = nil
    history.put("k1", "a")  // 2
    history.put("k2", "b")  // 3
    let all = try history.events(from: 2, through: 3, limit: 0)
    hub.didCommit(revision: 3, events: [all[1]])  // arrives first
    hub.didCommit(revision: 2, events: [all[0]])  // late
    hub.didCommit(revision: 3, events: [all[1]])  // twice
    #expect(hub.statistics.unsynced == 1)
    hub.syncUntilIdle()
    #expect(stream.drain().eventStamps == ["k1@2", "k2@3"])
    history.observer = hub
    history.put("k3", "c")
    #expect(stream.drain().eventStamps == ["k3@4"])
  }

  @Test func commitsMadeBeforeTheHubWasAttachedAreReadFromHistory() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    stream.create(WatchCreateRequest(range: KeyRange(key: b("k"))))
    _ = stream.drain()
    history.observer = nil
    history.put("k", "missed")  // 2, never notified
    history.observer = hub
    history.put("k", "seen")  // 3
    hub.syncUntilIdle()
    #expect(stream.drain().eventStamps == ["k@2", "k@3"])
  }
}
