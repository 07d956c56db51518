@testable import MVCC
import Raft
import TestSupport
import Testing

/// The B+tree under the key index keeps its invariants and agrees with a dictionary under random use.
@Suite struct OrderedByteMapTests {
  private func key(_ n: Int) -> [UInt8] { Array("k\(n)".utf8) }

  private func contents(_ map: OrderedByteMap<Int>, from start: [UInt8] = []) -> [([UInt8], Int)] {
    var out: [([UInt8], Int)] = []
    map.forEach(from: start) { key, value in
      out.append((Array(key), value))
      return true
    }
    return out
  }

  @Test func randomInsertsAndRemovalsKeepInvariantsAndMatchADictionary() throws {
    var generator = SplitMix64(seed: 42)
    var map = OrderedByteMap<Int>()
    var reference: [[UInt8]: Int] = [:]
    for step in 0..<30_000 {
      let k = key(Int.random(in: 0..<6_000, using: &generator))
      if Bool.random(using: &generator) || reference.count < 100 {
        let inserted = map.upsert(k, make: { step }, update: { $0 = step })
        #expect(inserted == (reference[k] == nil))
        reference[k] = step
      } else {
        #expect(map.remove(k) == reference.removeValue(forKey: k))
      }
      if step % 1_000 == 0 {
        let violation = map.invariantViolation()
        #expect(violation == nil, "step \(step): \(violation ?? "")")
      }
    }
    #expect(map.invariantViolation() == nil)
    #expect(map.count == reference.count)
    #expect(map.height >= 2, "the test must exercise inner nodes")
    let expected = reference.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    let actual = contents(map)
    #expect(actual.map(\.0) == expected.map(\.key))
    #expect(actual.map(\.1) == expected.map(\.value))
    for (k, v) in reference { #expect(map.value(for: k) == v) }
  }

  @Test func ascendingLoadFillsLeavesAndRemovingEverythingEmptiesTheTree() throws {
    var map = OrderedByteMap<Int>()
    let keys = (0..<20_000).map { n -> [UInt8] in [UInt8(n >> 8), UInt8(n & 0xff)] }
    for (n, k) in keys.enumerated() { map.upsert(k, make: { n }, update: { _ in }) }
    #expect(map.invariantViolation() == nil)
    // Leaves of an ascending load are full: 20,000 / 64 rounded up.
    var leaves = 0
    var pending = [map.root]
    while let node = pending.popLast() {
      if node.isLeaf { leaves += 1 } else { pending.append(contentsOf: node.children) }
    }
    #expect(leaves == (20_000 + 63) / 64)
    for (n, k) in keys.enumerated() where n % 2 == 0 { #expect(map.remove(k) == n) }
    #expect(map.invariantViolation() == nil)
    for (n, k) in keys.enumerated().reversed() where n % 2 == 1 { #expect(map.remove(k) == n) }
    #expect(map.invariantViolation() == nil)
    #expect(map.count == 0)
    #expect(map.height == 0)
    #expect(contents(map).isEmpty)
  }

  @Test func iterationStartsAtTheFirstKeyNotBelowTheStart() throws {
    var map = OrderedByteMap<Int>()
    for n in stride(from: 0, to: 1_000, by: 2) { map.upsert([UInt8(n >> 8), UInt8(n & 0xff)], make: { n }, update: { _ in }) }
    let fromOdd = contents(map, from: [0x01, 0x2d])  // 301 is absent: starts at 302
    #expect(fromOdd.first?.1 == 302)
    #expect(fromOdd.count == (1_000 - 302) / 2)
    #expect(contents(map, from: [0x01]).first?.1 == 256, "a proper prefix sorts before its extensions")
    #expect(contents(map, from: [0xff]).isEmpty)
  }

  @Test func valuesAreMutatedInPlaceDuringIteration() throws {
    var map = OrderedByteMap<Int>()
    for n in 0..<500 { map.upsert(key(n), make: { n }, update: { _ in }) }
    map.forEachModifying(from: []) { _, value in
      value *= 10
      return true
    }
    #expect(map.value(for: key(7)) == 70)
    #expect(map.modify(key(9)) { $0 += 1; return $0 } == 91)
    #expect(map.modify(key(1_000)) { $0 } == nil)
    #expect(map.read(key(9)) { $0 } == 91)
  }

  @Test func byteOrderIsUnsignedWithPrefixesFirst() {
    #expect(compareBytes([], [0]) < 0)
    #expect(compareBytes([0x7f], [0x80]) < 0)
    #expect(compareBytes([0xff], [0x00, 0x00]) > 0)
    #expect(compareBytes([1, 2], [1, 2, 0]) < 0)
    #expect(compareBytes([1, 2], [1, 2]) == 0)
  }
}
