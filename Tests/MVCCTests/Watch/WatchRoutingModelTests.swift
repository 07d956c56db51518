import MVCC
import Testing

/// The key and interval indexes route exactly as `KeyRange.contains` says, for random mixes of single keys, ranges,
/// prefixes and open ends, while watchers come and go.
@Suite struct WatchRoutingModelTests {
  /// A small deterministic generator (SplitMix64), so a failure can be replayed from its seed.
  private struct SplitMix {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Int((z ^ (z >> 31)) % UInt64(bound))
    }
  }

  private func randomKey(_ random: inout SplitMix) -> [UInt8] {
    (0...random.next(3)).map { _ in UInt8(0x61 + random.next(4)) }
  }

  private func randomRange(_ random: inout SplitMix) -> KeyRange {
    switch random.next(6) {
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
    var random = SplitMix(state: seed)
    let (history, hub) = makeHub()
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
      for _ in 0..<200 {
        let key = randomKey(&random)
        written.append(key)
        history.commit([.put(key, [UInt8(phase)])])
      }
      var got: [Int64: [[UInt8]]] = [:]
      for response in stream.drain() { got[response.watchID, default: []] += response.events.map(\.kv.key) }
      for (id, range) in ranges {
        #expect(got[id] ?? [] == written.filter { range.contains($0) }, "seed \(seed) phase \(phase) watch \(id)")
      }
      // Half of the watchers leave; the rest must route as before.
      for id in ranges.keys.sorted() where random.next(2) == 0 {
        stream.cancel(watchID: id)
        ranges[id] = nil
      }
    }
  }
}
