import Raft
import TestSupport
import MVCC
import Testing

/// The key index against a plain reference model (every key's full list of puts and deletes) over thousands of
/// random transactions and compactions, and a second index rebuilt from the surviving rows answering the same.
@Suite struct KeyIndexModelTests {
  /// The model: the whole history of every key; compaction only moves the floor below which reads are refused.
  private struct Model {
    var history: [[UInt8]: [(revision: Revision, tombstone: Bool)]] = [:]
    var compacted: Int64 = 0

    func get(_ key: [UInt8], at rev: Int64) -> (modified: Revision, created: Revision, version: Int64)? {
      guard let events = history[key], let last = events.lastIndex(where: { $0.revision.main <= rev }),
            !events[last].tombstone else { return nil }
      let start = (events[..<last].lastIndex(where: { $0.tombstone }) ?? -1) + 1
      return (events[last].revision, events[start].revision, Int64(last - start + 1))
    }

    /// What a compaction at `rev` keeps: each key's newest event at or below `rev`, when it is a put.
    func keep(at rev: Int64) -> Set<Revision> {
      var keep = Set<Revision>()
      for events in history.values {
        if let last = events.last(where: { $0.revision.main <= rev }), !last.tombstone { keep.insert(last.revision) }
      }
      return keep
    }

    /// The events still indexed after the compactions: above the floor, or the kept one at it.
    func surviving(_ key: [UInt8]) -> [(revision: Revision, tombstone: Bool)] {
      guard let events = history[key] else { return [] }
      let kept = events.last(where: { $0.revision.main <= compacted })
      return events.filter { $0.revision.main > compacted || (!$0.tombstone && $0.revision == kept?.revision) }
    }

    func since(_ from: Int64, in range: KeyRange) -> [Revision] {
      var out: [Revision] = []
      for key in history.keys where range.contains(key) {
        var byMain: [Int64: Revision] = [:]
        for event in surviving(key) where event.revision.main >= from {
          byMain[event.revision.main] = max(byMain[event.revision.main] ?? event.revision, event.revision)
        }
        out.append(contentsOf: byMain.values)
      }
      return out.sorted()
    }
  }

  /// A backend row as the store would write it.
  private struct Row {
    var key: [UInt8]
    var created: Revision
    var modified: Revision
    var version: Int64
    var tombstone: Bool
  }

  private static let pool: [[UInt8]] = {
    var keys: [[UInt8]] = [[0], [0xff], [0xff, 0xff], Array("a".utf8), Array("ab".utf8), Array("abc".utf8), Array("b".utf8)]
    for n in 0..<40 { keys.append(Array("k\(n % 7)/\(n)".utf8)) }
    return keys
  }()

  private static let ranges: [KeyRange] = [
    KeyRange(key: [0], end: [0]), KeyRange.prefix(Array("a".utf8)), KeyRange.prefix(Array("k3".utf8)),
    KeyRange(key: Array("ab".utf8), end: Array("k2".utf8)), KeyRange(key: Array("k5".utf8), end: [0]),
    KeyRange(key: Array("abc".utf8)), KeyRange(key: [0xff]), KeyRange(key: Array("b".utf8), end: Array("a".utf8)),
  ]

  private func compare(_ index: KeyIndexTree, _ model: Model, current: Int64, _ note: String) {
    var live = 0
    var indexed = 0
    for key in Self.pool {
      if model.get(key, at: current) != nil { live += 1 }
      if !model.surviving(key).isEmpty { indexed += 1 }
    }
    #expect(index.liveKeyCount == live, "\(note): live keys")
    #expect(index.keyCount == indexed, "\(note): indexed keys")
    for rev in Set([model.compacted, (model.compacted + current) / 2, current - 1, current]) where rev >= model.compacted {
      for key in Self.pool {
        let a = index.get(key, atRevision: rev), b = model.get(key, at: rev)
        #expect(a?.modified == b?.modified && a?.created == b?.created && a?.version == b?.version,
                "\(note): get \(key) at \(rev)")
      }
      for range in Self.ranges {
        let expected = Self.pool.filter { range.contains($0) && model.get($0, at: rev) != nil }
          .sorted { $0.lexicographicallyPrecedes($1) }
        let got = index.range(range, atRevision: rev, limit: 3)
        #expect(got.total == expected.count, "\(note): range total at \(rev)")
        #expect(got.keys == Array(expected.prefix(3)), "\(note): range keys at \(rev)")
        #expect(got.revisions == expected.prefix(3).map { model.get($0, at: rev)!.modified })
        #expect(index.countRevisions(range, atRevision: rev) == expected.count)
      }
    }
    for range in Self.ranges {
      for from in Set([0, model.compacted, model.compacted + 1, current - 3, current + 1]) {
        #expect(index.revisions(since: from, in: range) == model.since(from, in: range), "\(note): since \(from)")
      }
    }
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func randomHistoriesMatchTheReferenceModel(seed: UInt64) throws {
    var generator = SplitMix64(seed: seed)
    let index = KeyIndexTree()
    var model = Model()
    var rows: [Row] = []
    var current: Int64 = 1
    var compactions = 0
    for step in 0..<3_000 {
      if Int.random(in: 0..<50, using: &generator) == 0, current > model.compacted + 1 {
        let rev = Int64.random(in: (model.compacted + 1)..<current, using: &generator)
        #expect(index.keep(atRevision: rev) == model.keep(at: rev), "keep at \(rev)")
        let keep = index.compact(atRevision: rev)
        #expect(keep == model.keep(at: rev), "compact at \(rev)")
        model.compacted = rev
        compactions += 1
        rows.removeAll { $0.modified.main <= rev && !keep.contains($0.modified) }
        continue
      }
      current += 1
      var touched = Set<[UInt8]>()
      var sub: Int64 = 0
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        let key = Self.pool.randomElement(using: &generator)!
        guard touched.insert(key).inserted else { continue }
        let revision = Revision(main: current, sub: sub)
        if Int.random(in: 0..<3, using: &generator) == 0 {
          guard model.get(key, at: current) != nil else {
            #expect(throws: MVCCError.keyNotFound) { try index.tombstone(key, revision: revision) }
            continue
          }
          try index.tombstone(key, revision: revision)
          model.history[key, default: []].append((revision, true))
          rows.append(Row(key: key, created: Revision(main: 0), modified: revision, version: 0, tombstone: true))
        } else {
          index.put(key, revision: revision)
          model.history[key, default: []].append((revision, false))
          let now = model.get(key, at: current)!
          rows.append(Row(key: key, created: now.created, modified: revision, version: now.version, tombstone: false))
        }
        sub += 1
      }
      if step % 150 == 0 { compare(index, model, current: current, "seed \(seed) step \(step)") }
    }
    compare(index, model, current: current, "seed \(seed) end")
    #expect(compactions > 20, "the run must compact repeatedly")
    #expect(index.keyCount > 10 && index.liveKeyCount < index.keyCount, "the run must leave live and deleted keys")

    let rebuilt = KeyIndexTree()
    for row in rows.sorted(by: { $0.modified < $1.modified }) {
      rebuilt.restore(key: row.key, created: row.created, modified: row.modified, version: row.version, tombstone: row.tombstone)
    }
    compare(rebuilt, model, current: current, "seed \(seed) rebuilt from rows")
    #expect(rebuilt.keep(atRevision: current) == index.keep(atRevision: current))
  }
}
