import Foundation
import MVCC
import Testing

/// Compaction, restart, hashes, quota and snapshots of the KV store.
@Suite struct StoreDurabilityTests {
  /// A deterministic mixed history: puts, overwrites, deletes, a txn, a compaction.
  private func feed(_ store: KVStore, from: Int, to: Int) throws {
    for i in from..<to {
      let key = "key\(i % 37)"
      switch i % 7 {
      case 3: _ = try store.deleteRange(DeleteRangeRequest(key: b(key)))
      case 5:
        _ = try store.txn(TxnRequest(
          compare: [Compare(key: b(key), target: .version(0), result: .greater)],
          success: [.put(PutRequest(key: b(key), value: b("t\(i)"))), .put(PutRequest(key: b("side\(i % 5)"), value: b("s")))],
          failure: [.put(PutRequest(key: b(key), value: b("f\(i)")))]))
      default: try store.put(key, "value-\(i)")
      }
    }
  }

  @Test func compactionRefusesOldAndFutureRevisionsAndKeepsWhatReadsNeed() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open(KVStoreOptions(compactionBatchLimit: 3))
    try store.put("a", "1")  // 2
    try store.put("a", "2")  // 3
    try store.put("b", "1")  // 4
    _ = try store.deleteRange(DeleteRangeRequest(key: b("b")))  // 5
    try store.put("c", "1")  // 6
    #expect(throws: MVCCError.futureRevision(requested: 7, currentRevision: 6)) { try store.compact(7) }
    try store.compact(5)
    #expect(throws: MVCCError.compacted(requested: 5, compactedRevision: 5)) { try store.compact(5) }
    #expect(throws: MVCCError.compacted(requested: 4, compactedRevision: 5)) { try store.compact(4) }
    #expect(store.compactedRevision == 5)
    #expect(try store.get("a", revision: 5).kvs.first?.value == b("2"))
    #expect(try store.get("b", revision: 5).kvs.isEmpty)
    // Only a@3 (still visible) and c@6 remain.
    #expect(try store.events(from: 5, through: 6, limit: 0).map(\.kv.modRevision) == [6])
    #expect(try store.backend.revision(Revision(main: 3)) != nil)
    #expect(try store.backend.revision(Revision(main: 2)) == nil)
    #expect(throws: MVCCError.compacted(requested: 4, compactedRevision: 5)) { try store.events(from: 4, through: 6, limit: 0) }
  }

  @Test func compactionRunsWhileWritesAndReadsGoOn() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open(KVStoreOptions(compactionBatchLimit: 50))
    for i in 0..<3000 { try store.put("k\(i % 100)", "v\(i)") }
    let target = store.currentRevision
    try store.compact(target, physical: false)
    let finished = DispatchSemaphore(value: 0)
    let compactor = Thread {
      try? store.finishCompaction()
      finished.signal()
    }
    compactor.start()
    for i in 0..<500 {
      try store.put("k\(i % 100)", "late\(i)")
      #expect(try store.get("k\(i % 100)").kvs.first?.value == b("late\(i)"))
    }
    finished.wait()
    #expect(try store.backend.meta(MetaKey.finishedCompactRevision) == target)
    #expect(try store.range(RangeRequest(key: [0], rangeEnd: [0])).count == 100)
    #expect(try store.get("k7", revision: target).kvs.first?.value == b("v2907"))
  }

  @Test func aRestartRebuildsTheSameStore() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    var before: (RangeResponse, Int64, Int64, UInt32, HashKVResult)
    do {
      let store = try fixture.open()
      try feed(store, from: 0, to: 400)
      try store.compact(200)
      try feed(store, from: 400, to: 500)
      _ = try store.put(PutRequest(key: b("last"), value: b("x")), applied: ConsistentIndex(index: 99, term: 4))
      try store.commit()
      before = (try store.range(RangeRequest(key: [0], rangeEnd: [0])), store.currentRevision, store.compactedRevision,
                try store.hash(), try store.hashKV(0))
    }
    let store = try fixture.open()
    #expect(try store.range(RangeRequest(key: [0], rangeEnd: [0])) == before.0)
    #expect(store.currentRevision == before.1 && store.compactedRevision == before.2)
    #expect(try store.hash() == before.3)
    #expect(try store.hashKV(0) == before.4)
    #expect(try store.consistentIndex() == ConsistentIndex(index: 99, term: 4))
    #expect(try store.put("after", "restart").revision == before.1 + 1)
  }

  @Test func anInterruptedCompactionIsFinishedOnRestart() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    do {
      let store = try fixture.open()
      for i in 0..<100 { try store.put("k\(i % 10)", "v\(i)") }
      try store.compact(90, physical: false)  // the crash comes before any row is deleted
    }
    let store = try fixture.open()
    #expect(store.compactedRevision == 90)
    #expect(try store.backend.meta(MetaKey.finishedCompactRevision) == 90)
    #expect(try store.backend.revision(Revision(main: 50)) == nil)
    #expect(try store.get("k0", end: "k:").count == 10)
  }

  @Test func hashKVIsEqualForEqualHistoriesWhateverTheBatchingAndRestarts() throws {
    let one = StoreFixture()
    let two = StoreFixture()
    defer { one.remove(); two.remove() }
    let a = try one.open(KVStoreOptions(backend: BackendOptions(batchLimit: 1)))
    try feed(a, from: 0, to: 300)
    try a.compact(150)
    try feed(a, from: 300, to: 450)
    do {
      let b1 = try two.open(KVStoreOptions(backend: BackendOptions(batchLimit: 100_000)))
      try feed(b1, from: 0, to: 300)
      try b1.commit()
    }
    let b2 = try two.open(KVStoreOptions(backend: BackendOptions(batchLimit: 7)))
    try b2.compact(150)
    try feed(b2, from: 300, to: 450)
    #expect(try a.hashKV(0) == b2.hashKV(0))
    #expect(try a.hashKV(300) == b2.hashKV(300))
    #expect(try a.hash() == b2.hash())
    try b2.put("diverge", "x")
    try a.put("diverge", "y")
    #expect(try a.hashKV(0).hash != b2.hashKV(0).hash)
    #expect(throws: MVCCError.compacted(requested: 150, compactedRevision: 150)) { try a.hashKV(150) }
  }

  @Test func theQuotaRaisesNoSpaceAndOnlyDeletesAndCompactionWorkUntilDisarmed() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let member: UInt64 = 0x8e9e05c52164694d
    let options = KVStoreOptions(quotaBackendBytes: 400 * 1024, memberID: member)
    let noSpace = AlarmMember(memberID: member, alarm: .noSpace)
    do {
      let store = try fixture.open(options)
      var written = 0
      let error = #expect(throws: MVCCError.self) {
        while written < 10_000 {
          try store.put("k\(written)", String(repeating: "v", count: 1024))
          written += 1
        }
      }
      #expect(error == .noSpace(quotaBytes: 400 * 1024))
      #expect(written > 100 && written < 10_000)
      #expect(store.alarms() == [noSpace])
      #expect(throws: MVCCError.noSpace(quotaBytes: 400 * 1024)) { try store.put("small", "x") }
      let txnPut = TxnRequest(success: [.put(PutRequest(key: b("t"), value: b("x")))])
      #expect(throws: MVCCError.noSpace(quotaBytes: 400 * 1024)) { try store.txn(txnPut) }
      let deleted = try store.deleteRange(DeleteRangeRequest(key: [0], rangeEnd: [0]))
      #expect(deleted.deleted == Int64(written))
      try store.compact(store.currentRevision)
      let defrag = try store.defragment()
      #expect(defrag.sizeAfter < defrag.sizeBefore)
      try store.commit()
    }
    let store = try fixture.open(options)
    #expect(store.alarms() == [noSpace])
    #expect(try store.deactivate(noSpace))
    try store.put("small", "x")
    #expect(MVCCError.noSpace(quotaBytes: 1).description == "mvcc: database space exceeded")
  }

  @Test func aSnapshotRestoresToTheSameStoreAndADamagedOneIsRefused() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try feed(store, from: 0, to: 300)
    try store.setConsistentIndex(ConsistentIndex(index: 321, term: 2))
    let stream = try store.snapshot(in: fixture.dir.path)
    try stream.write(to: fixture.dir.file("snap.db"))
    try SnapshotFile.restore(from: fixture.dir.file("snap.db"), to: fixture.dir.file("restored"))
    let restored = try KVStore(path: fixture.dir.file("restored"))
    #expect(try restored.hashKV(0) == store.hashKV(0))
    #expect(try restored.consistentIndex() == ConsistentIndex(index: 321, term: 2))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.dir.file("snap.db")))
    try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: fixture.dir.file("cut.db")))
    #expect(throws: MVCCError.self) { try SnapshotFile.restore(from: fixture.dir.file("cut.db"), to: fixture.dir.file("r2")) }
  }
}
