import MVCC
import Testing

/// Which events reach which watcher: keys, ranges, prefixes, filters, prev_kv and future start revisions.
@Suite struct WatchMatchingTests {
  private func watch(_ stream: WatchStream, _ request: WatchCreateRequest) {
    stream.create(request)
    _ = stream.drain()
  }

  @Test func singleKeyWatcherSeesOnlyItsKey() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: bytes("a"))))
    history.put("a", "1")
    history.put("ab", "1")
    history.put("b", "1")
    history.delete("a")
    let responses = stream.drain()
    #expect(responses.eventStamps == ["a@2", "a@5"])
    #expect(responses.map { $0.events[0].kind } == [.put, .delete])
  }

  @Test func prefixRangeAndFromKeyWatchersSeeTheKeysInside() throws {
    let (history, hub) = makeHub()
    let prefix = hub.openStream()
    let range = hub.openStream()
    let fromKey = hub.openStream()
    let everything = hub.openStream()
    watch(prefix, WatchCreateRequest(range: .prefix(bytes("b"))))
    watch(range, WatchCreateRequest(range: KeyRange(key: bytes("a"), end: bytes("c"))))
    watch(fromKey, WatchCreateRequest(range: KeyRange(key: bytes("b"), end: [0])))
    watch(everything, WatchCreateRequest(range: KeyRange(key: [0], end: [0])))
    for key in ["a", "b", "ba", "c", "z"] { history.put(key, "v") }
    #expect(prefix.drain().eventStamps == ["b@3", "ba@4"])
    #expect(range.drain().eventStamps == ["a@2", "b@3", "ba@4"])
    #expect(fromKey.drain().eventStamps == ["b@3", "ba@4", "c@5", "z@6"])
    #expect(everything.drain().eventStamps == ["a@2", "b@3", "ba@4", "c@5", "z@6"])
  }

  @Test func manyWatchersOnOneKeyAllGetTheEventAndOthersNothing() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream(bufferCapacity: 1_000)
    for index in 0..<200 {
      watch(stream, WatchCreateRequest(range: KeyRange(key: bytes(index < 100 ? "hot" : "cold\(index)"))))
    }
    history.put("hot", "1")
    let responses = stream.drain()
    #expect(responses.count == 100)
    #expect(Set(responses.map(\.watchID)) == Set(0..<100))
  }

  @Test func transactionOnSeveralKeysGivesEachWatcherOneResponseInOrder() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: .prefix(bytes("k"))))
    watch(stream, WatchCreateRequest(range: KeyRange(key: bytes("k2"))))
    history.commit([.put(bytes("k1"), bytes("x")), .put(bytes("other"), bytes("y")), .put(bytes("k2"), bytes("z"))])
    let responses = stream.drain()
    #expect(responses.count == 2)
    let byID = Dictionary(uniqueKeysWithValues: responses.map { ($0.watchID, $0) })
    #expect([byID[0]!].eventStamps == ["k1@2", "k2@2"])
    #expect([byID[1]!].eventStamps == ["k2@2"])
  }

  @Test func noPutAndNoDeleteFiltersDropThoseEvents() throws {
    let (history, hub) = makeHub()
    let noPut = hub.openStream()
    let noDelete = hub.openStream()
    watch(noPut, WatchCreateRequest(range: .prefix(bytes("k")), filters: .noPut))
    watch(noDelete, WatchCreateRequest(range: .prefix(bytes("k")), filters: .noDelete))
    history.put("k1", "a")
    history.delete("k1")
    history.put("k2", "b")
    let deletes = noPut.drain()
    #expect(deletes.eventStamps == ["k1@3"])
    #expect(deletes.allSatisfy { $0.events.allSatisfy { $0.kind == .delete } })
    #expect(noDelete.drain().eventStamps == ["k1@2", "k2@4"])
  }

  @Test func prevKVIsFilledFromHistoryExceptForCreations() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: bytes("k")), prevKV: true))
    history.put("k", "one")
    history.put("k", "two")
    history.delete("k")
    let events = stream.drain().flatMap(\.events)
    #expect(events.count == 3)
    #expect(events[0].prevKV == nil)
    #expect(events[1].prevKV?.value == bytes("one"))
    #expect(events[1].prevKV?.modRevision == 2)
    #expect(events[2].prevKV?.value == bytes("two"))
    #expect(events[2].prevKV?.version == 2)
  }

  @Test func watchersWithoutPrevKVGetNoPrevKV() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: bytes("k"))))
    history.put("k", "one")
    history.put("k", "two")
    #expect(stream.drain().flatMap(\.events).allSatisfy { $0.prevKV == nil })
  }

  @Test func futureStartRevisionSkipsEarlierCommits() throws {
    let (history, hub) = makeHub()
    let stream = hub.openStream()
    watch(stream, WatchCreateRequest(range: KeyRange(key: bytes("k")), startRevision: 4))
    for value in ["1", "2", "3", "4"] { history.put("k", value) }
    #expect(stream.drain().eventStamps == ["k@4", "k@5"])
  }
}
