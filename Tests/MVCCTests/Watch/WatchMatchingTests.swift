import MVCC
import Testing

/// Which events reach which watcher: keys, ranges, prefixes, filters, prev_kv and future start revisions.
@Suite struct WatchMatchingTests {
  private func watch(_ stream: WatchStream, _ request: WatchCreateRequest) {
    stream.create(request)
    _ = stream.drain()
  }

  @Test func singleKeyWatcherSeesOnlyItsKey() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("a"))))
    history.put("a", "1")
    history.put("ab", "1")
    history.put("b", "1")
    history.delete("a")
    let responses = stream.drain()
    #expect(responses.eventStamps == ["a@2", "a@5"])
    #expect(responses.map { $0.events[0].kind } == [.put, .delete])
  }

  @Test func prefixRangeAndFromKeyWatchersSeeTheKeysInside() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let prefix = hub.openStream()
    let range = hub.openStream()
    let fromKey = hub.openStream()
    let everything = hub.openStream()
    watch(prefix, WatchCreateRequest(range: .prefix(b("b"))))
    watch(range, WatchCreateRequest(range: KeyRange(key: b("a"), end: b("c"))))
    watch(fromKey, WatchCreateRequest(range: KeyRange(key: b("b"), end: [0])))
    watch(everything, WatchCreateRequest(range: KeyRange(key: [0], end: [0])))
    for key in ["a", "b", "ba", "c", "z"] { history.put(key, "v") }
    #expect(prefix.drain().eventStamps == ["b@3", "ba@4"])
    #expect(range.drain().eventStamps == ["a@2", "b@3", "ba@4"])
    #expect(fromKey.drain().eventStamps == ["b@3", "ba@4", "c@5", "z@6"])
    #expect(everything.drain().eventStamps == ["a@2", "b@3", "ba@4", "c@5", "z@6"])
  }

  @Test func manyWatchersOnOneKeyAllGetTheEventAndOthersNothing() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 1_000)
    for index in 0..<200 {
      watch(stream, WatchCreateRequest(range: KeyRange(key: b(index < 100 ? "hot" : "cold\(index)"))))
    }
    history.put("hot", "1")
    let responses = stream.drain()
    #expect(responses.count == 100)
    #expect(Set(responses.map(\.watchID)) == Set(0..<100))
  }

  @Test func transactionOnSeveralKeysGivesEachWatcherOneResponseInOrder() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: .prefix(b("k"))))
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("k2"))))
    watch(stream, WatchCreateRequest(range: KeyRange(key: [0], end: [0])))
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("absent"))))
    history.commit([.put(b("k1"), b("x")), .put(b("other"), b("y")), .put(b("k2"), b("z"))])
    let responses = stream.drain()
    #expect(responses.count == 3)
    let byID = Dictionary(uniqueKeysWithValues: responses.map { ($0.watchID, $0) })
    #expect([byID[0]!].eventStamps == ["k1@2", "k2@2"])
    #expect([byID[1]!].eventStamps == ["k2@2"])
    #expect([byID[2]!].eventStamps == ["k1@2", "other@2", "k2@2"])
    // The next transaction starts from empty per-watcher lists.
    history.commit([.delete(b("k2")), .put(b("k3"), b("w"))])
    let next = stream.drain()
    #expect(next.count == 3)
    #expect(next.filter { $0.watchID == 0 }.eventStamps == ["k2@3", "k3@3"])
    #expect(next.filter { $0.watchID == 1 }.eventStamps == ["k2@3"])
    #expect(next.filter { $0.watchID == 2 }.eventStamps == ["k2@3", "k3@3"])
  }

  @Test func noPutAndNoDeleteFiltersDropThoseEvents() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let noPut = hub.openStream()
    let noDelete = hub.openStream()
    watch(noPut, WatchCreateRequest(range: .prefix(b("k")), filters: .noPut))
    watch(noDelete, WatchCreateRequest(range: .prefix(b("k")), filters: .noDelete))
    history.put("k1", "a")
    history.delete("k1")
    history.put("k2", "b")
    let deletes = noPut.drain()
    #expect(deletes.eventStamps == ["k1@3"])
    #expect(deletes.allSatisfy { $0.events.allSatisfy { $0.kind == .delete } })
    #expect(noDelete.drain().eventStamps == ["k1@2", "k2@4"])
  }

  @Test func prevKVIsFilledFromHistoryExceptForCreations() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("k")), prevKV: true))
    history.put("k", "one")
    history.put("k", "two")
    history.delete("k")
    let events = stream.drain().flatMap(\.events)
    #expect(events.count == 3)
    #expect(events[0].prevKV == nil)
    #expect(events[1].prevKV?.value == b("one"))
    #expect(events[1].prevKV?.modRevision == 2)
    #expect(events[2].prevKV?.value == b("two"))
    #expect(events[2].prevKV?.version == 2)
  }

  @Test func watchersWithoutPrevKVGetNoPrevKV() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("k"))))
    history.put("k", "one")
    history.put("k", "two")
    #expect(stream.drain().flatMap(\.events).allSatisfy { $0.prevKV == nil })
  }

  @Test func futureStartRevisionSkipsEarlierCommits() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: b("k")), startRevision: 4))
    for value in ["1", "2", "3", "4"] { history.put("k", value) }
    #expect(stream.drain().eventStamps == ["k@4", "k@5"])
  }
}
