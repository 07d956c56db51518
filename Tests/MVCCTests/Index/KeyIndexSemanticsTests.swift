import MVCC
import Testing

/// etcd's keyIndex/treeIndex rules, case by case (mvcc/key_index_test.go, index_test.go).
@Suite struct KeyIndexSemanticsTests {
  private let foo = Array("foo".utf8)

  /// put 2, put 4, delete 6, put 8, put 10, delete 12, put 14, put 14.1, put 16 (three generations).
  private func threeGenerations() throws -> KeyIndexTree {
    let index = KeyIndexTree()
    index.put(foo, revision: Revision(main: 2))
    index.put(foo, revision: Revision(main: 4))
    try index.tombstone(foo, revision: Revision(main: 6))
    index.put(foo, revision: Revision(main: 8))
    index.put(foo, revision: Revision(main: 10))
    try index.tombstone(foo, revision: Revision(main: 12))
    index.put(foo, revision: Revision(main: 14))
    index.put(foo, revision: Revision(main: 14, sub: 1))
    index.put(foo, revision: Revision(main: 16))
    return index
  }

  private struct Got: Equatable {
    var modified: Revision
    var created: Revision
    var version: Int64
  }

  private func got(_ index: KeyIndexTree, _ rev: Int64) -> Got? {
    index.get(foo, atRevision: rev).map { Got(modified: $0.modified, created: $0.created, version: $0.version) }
  }

  @Test func getSeesTheGenerationLiveAtEachRevision() throws {
    let index = try threeGenerations()
    let r = { (main: Int64, sub: Int64) in Revision(main: main, sub: sub) }
    let expected: [Int64: Got?] = [
      0: nil, 1: nil,
      2: Got(modified: r(2, 0), created: r(2, 0), version: 1), 3: Got(modified: r(2, 0), created: r(2, 0), version: 1),
      4: Got(modified: r(4, 0), created: r(2, 0), version: 2), 5: Got(modified: r(4, 0), created: r(2, 0), version: 2),
      6: nil, 7: nil,
      8: Got(modified: r(8, 0), created: r(8, 0), version: 1), 9: Got(modified: r(8, 0), created: r(8, 0), version: 1),
      10: Got(modified: r(10, 0), created: r(8, 0), version: 2), 11: Got(modified: r(10, 0), created: r(8, 0), version: 2),
      12: nil, 13: nil,
      14: Got(modified: r(14, 1), created: r(14, 0), version: 2), 15: Got(modified: r(14, 1), created: r(14, 0), version: 2),
      16: Got(modified: r(16, 0), created: r(14, 0), version: 3), 100: Got(modified: r(16, 0), created: r(14, 0), version: 3),
    ]
    for (rev, want) in expected { #expect(got(index, rev) == want, "get at \(rev)") }
    #expect(index.keyCount == 1)
    #expect(index.liveKeyCount == 1)
  }

  @Test func tombstoneOfAMissingOrDeletedKeyIsKeyNotFound() throws {
    let index = KeyIndexTree()
    #expect(throws: MVCCError.keyNotFound) { try index.tombstone(foo, revision: Revision(main: 2)) }
    index.put(foo, revision: Revision(main: 2))
    try index.tombstone(foo, revision: Revision(main: 3))
    #expect(throws: MVCCError.keyNotFound) { try index.tombstone(foo, revision: Revision(main: 4)) }
    #expect(index.keyCount == 1, "a deleted key stays indexed until compaction")
    #expect(index.liveKeyCount == 0)
    #expect(index.get(foo, atRevision: 2)?.modified == Revision(main: 2))
    #expect(index.get(foo, atRevision: 3) == nil)
  }

  @Test func compactionKeepsTheNewestRevisionAtOrBelowAndNeverATombstone() throws {
    let expectedKeep: [Int64: Set<Revision>] = [
      1: [], 2: [Revision(main: 2)], 3: [Revision(main: 2)], 4: [Revision(main: 4)], 5: [Revision(main: 4)],
      6: [], 7: [], 8: [Revision(main: 8)], 9: [Revision(main: 8)], 10: [Revision(main: 10)], 11: [Revision(main: 10)],
      12: [], 13: [], 14: [Revision(main: 14, sub: 1)], 15: [Revision(main: 14, sub: 1)],
      16: [Revision(main: 16)], 17: [Revision(main: 16)],
    ]
    for (rev, want) in expectedKeep {
      let index = try threeGenerations()
      #expect(index.keep(atRevision: rev) == want, "keep at \(rev)")
      #expect(index.compact(atRevision: rev) == want, "compact at \(rev)")
      #expect(index.keyCount == 1, "the live generation keeps the key")
      // Reads at or above the compaction revision answer as before.
      let fresh = try threeGenerations()
      for at in rev...18 {
        #expect(index.get(foo, atRevision: at)?.modified == fresh.get(foo, atRevision: at)?.modified, "compact \(rev), get \(at)")
        #expect(index.get(foo, atRevision: at)?.version == fresh.get(foo, atRevision: at)?.version)
        #expect(index.get(foo, atRevision: at)?.created == fresh.get(foo, atRevision: at)?.created)
      }
    }
  }

  @Test func compactionDropsGenerationsEndedAtOrBelowAndThenTheKey() throws {
    let index = try threeGenerations()
    _ = index.compact(atRevision: 5)
    #expect(index.get(foo, atRevision: 3) == nil, "revision 2 was compacted away")
    #expect(index.revisions(since: 0, in: KeyRange(key: foo)).map(\.main) == [4, 6, 8, 10, 12, 14, 16])
    _ = index.compact(atRevision: 12)
    #expect(index.revisions(since: 0, in: KeyRange(key: foo)).map(\.main) == [14, 16])

    let gone = KeyIndexTree()
    gone.put(foo, revision: Revision(main: 2))
    try gone.tombstone(foo, revision: Revision(main: 3))
    #expect(gone.compact(atRevision: 2) == [Revision(main: 2)])
    #expect(gone.keyCount == 1)
    #expect(gone.compact(atRevision: 3).isEmpty)
    #expect(gone.keyCount == 0, "a key whose generations are all gone is removed")
    gone.put(foo, revision: Revision(main: 4))
    #expect(gone.get(foo, atRevision: 4)?.created == Revision(main: 4))
    #expect(gone.get(foo, atRevision: 4)?.version == 1)
  }

  @Test func revisionsSinceListsPutsAndTombstonesOfTheRangeInRevisionOrder() throws {
    let index = KeyIndexTree()
    let a = Array("a".utf8), b = Array("b".utf8), c = Array("c".utf8)
    index.put(a, revision: Revision(main: 2))
    index.put(b, revision: Revision(main: 3))
    index.put(a, revision: Revision(main: 4))
    index.put(c, revision: Revision(main: 5))
    try index.tombstone(b, revision: Revision(main: 6))
    index.put(a, revision: Revision(main: 7, sub: 0))
    index.put(b, revision: Revision(main: 7, sub: 1))
    index.put(a, revision: Revision(main: 7, sub: 2))
    let all = KeyRange(key: [0], end: [0])
    #expect(index.revisions(since: 0, in: all)
      == [Revision(main: 2), Revision(main: 3), Revision(main: 4), Revision(main: 5), Revision(main: 6),
          Revision(main: 7, sub: 1), Revision(main: 7, sub: 2)],
      "one revision per key and main revision, the one with the largest sub")
    #expect(index.revisions(since: 4, in: KeyRange(key: a, end: c)).map(\.main) == [4, 6, 7, 7])
    #expect(index.revisions(since: 8, in: all).isEmpty)
    #expect(index.revisions(since: 5, in: KeyRange(key: c)) == [Revision(main: 5)])
  }

  @Test func rangeHonoursLimitCountsTotalAndSeesThePast() throws {
    let index = KeyIndexTree()
    let keys = ["a", "ab", "abc", "b", "c", "d"].map { Array($0.utf8) }
    for (n, key) in keys.enumerated() { index.put(key, revision: Revision(main: Int64(n) + 2)) }  // a=2 ... d=7
    try index.tombstone(Array("ab".utf8), revision: Revision(main: 8))

    let prefixA = KeyRange.prefix(Array("a".utf8))
    let now = index.range(prefixA, atRevision: 8, limit: 1)
    #expect(now.keys == [Array("a".utf8)])
    #expect(now.revisions == [Revision(main: 2)])
    #expect(now.total == 2)
    let before = index.range(prefixA, atRevision: 7, limit: 0)
    #expect(before.keys == [Array("a".utf8), Array("ab".utf8), Array("abc".utf8)])
    #expect(before.total == 3)
    #expect(index.countRevisions(prefixA, atRevision: 8) == 2)
    #expect(index.countRevisions(prefixA, atRevision: 3) == 2)

    #expect(index.range(KeyRange(key: [0], end: [0]), atRevision: 8, limit: 0).total == 5, "every key")
    #expect(index.range(KeyRange(key: Array("b".utf8), end: [0]), atRevision: 8, limit: 0).keys.count == 3, "from key")
    #expect(index.range(KeyRange(key: Array("c".utf8), end: Array("b".utf8)), atRevision: 8, limit: 0).total == 0)
    #expect(index.range(KeyRange(key: Array("b".utf8), end: Array("d".utf8)), atRevision: 8, limit: 0).keys
      == [Array("b".utf8), Array("c".utf8)], "the end is exclusive")
    #expect(index.range(KeyRange(key: Array("ab".utf8)), atRevision: 8, limit: 0).total == 0, "a deleted single key")
    #expect(index.range(KeyRange(key: Array("ab".utf8)), atRevision: 7, limit: 0).keys == [Array("ab".utf8)])
  }

  @Test func restoreRebuildsCompactedHistoriesFromTheirRows() throws {
    // Rows a backend keeps after a compaction at 5 of the three-generation history: 4, 6 (tombstone), 8, ...
    let index = KeyIndexTree()
    index.restore(key: foo, created: Revision(main: 2), modified: Revision(main: 4), version: 2, tombstone: false)
    index.restore(key: foo, created: Revision(main: 0), modified: Revision(main: 6), version: 0, tombstone: true)
    index.restore(key: foo, created: Revision(main: 8), modified: Revision(main: 8), version: 1, tombstone: false)
    index.restore(key: foo, created: Revision(main: 8), modified: Revision(main: 10), version: 2, tombstone: false)
    let compacted = try threeGenerations()
    _ = compacted.compact(atRevision: 5)
    for rev in Int64(5)...11 {
      let rebuilt = index.get(foo, atRevision: rev)
      let original = compacted.get(foo, atRevision: rev)
      #expect(rebuilt?.modified == original?.modified && rebuilt?.created == original?.created
        && rebuilt?.version == original?.version, "at \(rev)")
    }
    #expect(index.liveKeyCount == 1)
    // A tombstone row of a key never seen (its puts were compacted) is skipped.
    let other = KeyIndexTree()
    other.restore(key: foo, created: Revision(main: 0), modified: Revision(main: 9), version: 0, tombstone: true)
    #expect(other.keyCount == 0)
    #expect(other.liveKeyCount == 0)
  }
}
