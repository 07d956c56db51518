import Raft
import MVCC
import Testing
import TestSupport

/// The key and interval indexes route exactly as `KeyRange.contains` says, for random mixes of single keys, ranges,
/// prefixes and open ends, single-key and multi-key transactions, while watchers come and go.
@Suite struct WatchRoutingModelTests {
  private func randomKey(_ random: inout SplitMix64) -> [UInt8] {
    (0...Int.random(in: 0..<3, using: &random)).map { _ in UInt8(0x61 + Int.random(in: 0..<4, using: &random)) }
  }

  private func randomRange(_ random: inout SplitMix64) -> KeyRange {
    switch Int.random(in: 0..<6, using: &random) {
    case 0: return KeyRange(key: randomKey(&random))
    case 1: return .prefix(randomKey(&random))
    case 2: return KeyRange(key: randomKey(&random), end: [0])
    case 3: return KeyRange(key: [0], end: [0])
    default:
      var start = randomKey(&random)
      var end = randomKey(&random)
      if end.lexicographicallyPrecedes(start) { swap(&start, &end) }
      if start == end { end.append(0x61) }
      return KeyRange(key: start, end: end)
    }
  }

  @Test(arguments: [UInt64(1), 2, 3, 4, 5])
  func everyWatcherGetsExactlyTheKeysItsRangeHolds(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    let (history, hub) = try makeHub()
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 100_000)
    var ranges: [Int64: KeyRange] = [:]
    for id in Int64(1)...300 {
      let range = randomRange(&random)
      ranges[id] = range
      stream.create(WatchCreateRequest(range: range, watchID: id))
    }
    for phase in 0..<2 {
      _ = stream.drain()
      var written: [[UInt8]] = []
      // Transactions of one to three distinct keys: single events and grouped ones.
      for _ in 0..<120 {
        var keys: [[UInt8]] = []
        for _ in 0...Int.random(in: 0..<3, using: &random) {
          let key = randomKey(&random)
          if !keys.contains(key) { keys.append(key) }
        }
        written += keys
        history.commit(keys.map { .put($0, [UInt8(phase)]) })
      }
      var got: [Int64: [[UInt8]]] = [:]
      for response in stream.drain() { got[response.watchID, default: []] += response.events.map(\.kv.key) }
      for (id, range) in ranges {
        #expect(got[id] ?? [] == written.filter { range.contains($0) }, "seed \(seed) phase \(phase) watch \(id)")
      }
      // Half of the watchers leave; the rest must route as before.
      for id in ranges.keys.sorted() where Int.random(in: 0..<2, using: &random) == 0 {
        stream.cancel(watchID: id)
        ranges[id] = nil
      }
    }
  }
}
