import MVCC
import Testing

/// Encoded sizes and etcd's fragmentation of large responses.
@Suite struct WatchFragmentTests {
  private func putEvent(_ key: String, value: Int, revision: Int64) -> Event {
    Event(kind: .put, kv: KeyValue(key: b(key), createRevision: revision, modRevision: revision, version: 1,
      value: [UInt8](repeating: 0x61, count: value)))
  }

  @Test func encodedSizeMatchesProtobufByteCounts() {
    // KeyValue{key "a", create 2, mod 2, version 1, value "bb"}: 3 + 2 + 2 + 2 + 4 = 13 bytes.
    // Event{kv}: 2 + 13 = 15; as field 11 of the response: 2 + 15 = 17.
    // Response: header of 10 bytes (2 + 10), watch_id 3 (2), the event (17) = 31.
    let event = Event(kind: .put, kv: KeyValue(key: b("a"), createRevision: 2, modRevision: 2, version: 1,
      value: b("bb")))
    let response = WatchResponse(watchID: 3, events: [event], revision: 2)
    #expect(response.encodedSize(headerBytes: 10) == 31)
    var deleted = response
    deleted.events[0].kind = .delete
    #expect(deleted.encodedSize(headerBytes: 10) == 33)
    let bigRevision = WatchResponse(watchID: 0, compactRevision: 300, revision: 1)
    #expect(bigRevision.encodedSize(headerBytes: 0) == 2 + 3)
  }

  @Test func responseOverTheLimitIsSplitIntoFragmentsForWatchersThatAskedForIt() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(maxResponseBytes: 1_000)
    stream.create(WatchCreateRequest(range: .prefix(b("k")), fragment: true))
    _ = stream.drain()
    let value = String(repeating: "v", count: 300)
    history.commit((0..<10).map { .put(b("k\($0)"), b(value)) })
    let fragments = stream.drain()
    #expect(fragments.count > 1)
    #expect(fragments.dropLast().allSatisfy { $0.fragment })
    #expect(fragments.last?.fragment == false)
    #expect(fragments.allSatisfy { $0.encodedSize(headerBytes: 46) < 1_000 })
    #expect(fragments.eventStamps == (0..<10).map { "k\($0)@2" })
    #expect(fragments.allSatisfy { $0.watchID == 0 && $0.revision == 2 })
  }

  @Test func responseOverTheLimitStaysWholeWithoutTheFragmentOption() throws {
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(maxResponseBytes: 1_000)
    stream.create(WatchCreateRequest(range: .prefix(b("k"))))
    _ = stream.drain()
    let value = String(repeating: "v", count: 300)
    history.commit((0..<10).map { .put(b("k\($0)"), b(value)) })
    let responses = stream.drain()
    #expect(responses.count == 1)
    #expect(responses[0].events.count == 10 && !responses[0].fragment)
  }

  @Test func aSingleEventLargerThanTheLimitIsOneFragment() {
    let response = WatchResponse(
      watchID: 1, events: [putEvent("a", value: 5_000, revision: 2), putEvent("b", value: 10, revision: 2)],
      revision: 2)
    let pieces = response.fragments(limit: 1_000, headerBytes: 0)
    #expect(pieces.map(\.events.count) == [1, 1])
    #expect(pieces.map(\.fragment) == [true, false])
  }

  @Test func responseWithinTheLimitIsNotSplit() {
    let response = WatchResponse(
      watchID: 1, events: [putEvent("a", value: 10, revision: 2), putEvent("b", value: 10, revision: 2)], revision: 2)
    #expect(response.fragments(limit: 1_000, headerBytes: 46) == [response])
  }
}
