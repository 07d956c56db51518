import MVCC
import Testing

/// Range, Put and DeleteRange with etcd 3.4's semantics.
@Suite struct StoreRangePutDeleteTests {
  @Test func putsNumberRevisionsAndVersionsLikeEtcd() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    #expect(store.currentRevision == 1)
    #expect(try store.put("a", "1").revision == 2)
    #expect(try store.put("a", "2").revision == 3)
    #expect(try store.put("b", "1").revision == 4)
    let a = try #require(try store.get("a").kvs.first)
    #expect(a == KeyValue(key: b("a"), createRevision: 2, modRevision: 3, version: 2, value: b("2")))
    _ = try store.deleteRange(DeleteRangeRequest(key: b("a")))
    try store.put("a", "3")
    let again = try #require(try store.get("a").kvs.first)
    #expect(again.createRevision == 6 && again.version == 1)
  }

  @Test func aReadRightAfterAWriteSeesItBeforeAnyCommit() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open(KVStoreOptions(backend: BackendOptions(batchInterval: .seconds(3600), batchLimit: 1_000_000)))
    for i in 0..<50 {
      try store.put("k", "v\(i)")
      #expect(try store.get("k").kvs.first?.value == b("v\(i)"))
    }
    #expect(store.backend.hasUncommittedChanges)
  }

  @Test func limitSetsMoreAndCountCountsTheWholeRange() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    for k in ["a", "b", "c", "d"] { try store.put(k, k) }
    let limited = try store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), limit: 2))
    #expect(keys(limited.kvs) == ["a", "b"])
    #expect(limited.more && limited.count == 4)
    let exact = try store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), limit: 4))
    #expect(!exact.more && exact.kvs.count == 4)
    let counted = try store.range(RangeRequest(key: b("b"), rangeEnd: [0], countOnly: true))
    #expect(counted.kvs.isEmpty && counted.count == 3 && !counted.more)
    let all = try store.range(RangeRequest(key: [0], rangeEnd: [0], keysOnly: true))
    #expect(keys(all.kvs) == ["a", "b", "c", "d"] && all.kvs.allSatisfy { $0.value.isEmpty })
    #expect(try store.get("missing").kvs.isEmpty)
  }

  @Test func sortsByEveryTargetAndDefaultsToAscendingForNonKeyTargets() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try store.put("a", "z")  // rev 2
    try store.put("b", "y")  // 3
    try store.put("c", "x")  // 4
    try store.put("a", "w")  // 5: a version 2
    func sorted(_ order: SortOrder, _ target: SortTarget, limit: Int64 = 0) throws -> [String] {
      keys(try store.range(RangeRequest(key: b("a"), rangeEnd: b("d"), limit: limit, sortOrder: order, sortTarget: target)).kvs)
    }
    #expect(try sorted(.descend, .key) == ["c", "b", "a"])
    #expect(try sorted(.ascend, .value) == ["a", "c", "b"])
    #expect(try sorted(.none, .value) == ["a", "c", "b"])
    #expect(try sorted(.descend, .mod) == ["a", "c", "b"])
    #expect(try sorted(.ascend, .create) == ["a", "b", "c"])
    #expect(try sorted(.descend, .version) == ["a", "b", "c"])
    #expect(try sorted(.descend, .key, limit: 1) == ["c"])
    let response = try store.range(RangeRequest(key: b("a"), rangeEnd: b("d"), limit: 1, sortOrder: .descend))
    #expect(response.more && response.count == 3)
  }

  @Test func revisionFiltersPruneAfterTheRead() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    for k in ["a", "b", "c", "d"] { try store.put(k, k) }  // revs 2...5
    try store.put("a", "again")  // 6
    let byMod = try store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), minModRevision: 3, maxModRevision: 4))
    #expect(keys(byMod.kvs) == ["b", "c"])
    #expect(byMod.count == 4)
    let byCreate = try store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), minCreateRevision: 4))
    #expect(keys(byCreate.kvs) == ["c", "d"])
    let maxCreate = try store.range(RangeRequest(key: b("a"), rangeEnd: b("z"), limit: 1, maxCreateRevision: 3))
    #expect(keys(maxCreate.kvs) == ["a"] && maxCreate.more)
  }

  @Test func readsAtOldRevisionsAndTheirErrors() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try store.put("k", "1")
    try store.put("k", "2")
    try store.put("k", "3")
    let old = try store.get("k", revision: 2)
    #expect(old.kvs.first?.value == b("1"))
    #expect(old.revision == 4)  // the header carries the current revision
    #expect(throws: MVCCError.futureRevision(requested: 5, currentRevision: 4)) { try store.get("k", revision: 5) }
    try store.compact(3)
    #expect(throws: MVCCError.compacted(requested: 2, compactedRevision: 3)) { try store.get("k", revision: 2) }
    #expect(try store.get("k", revision: 3).kvs.first?.value == b("2"))
    #expect(MVCCError.compacted(requested: 2, compactedRevision: 3).description == "mvcc: required revision has been compacted")
  }

  @Test func putOptionsPrevKVIgnoreValueAndIgnoreLease() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 7, ttl: 60, now: .zero)
    #expect(try store.put(PutRequest(key: b("k"), value: b("v1"), prevKV: true)).prevKV == nil)
    let second = try store.put(PutRequest(key: b("k"), value: b("v2"), lease: 7, prevKV: true))
    #expect(second.prevKV?.value == b("v1"))
    #expect(leases.timeToLive(id: 7, now: .zero)?.keys == [b("k")])
    try store.put(PutRequest(key: b("k"), value: b("v3"), ignoreLease: true))
    #expect(try store.get("k").kvs.first?.lease == 7)
    try store.put(PutRequest(key: b("k"), lease: 0, ignoreValue: true))
    let kv = try #require(try store.get("k").kvs.first)
    #expect(kv.value == b("v3") && kv.lease == 0 && kv.version == 4)
    #expect(leases.timeToLive(id: 7, now: .zero)?.keys == [])
    let revision = store.currentRevision
    #expect(throws: MVCCError.keyNotFound) { try store.put(PutRequest(key: b("nope"), ignoreValue: true)) }
    #expect(throws: MVCCError.keyNotFound) { try store.put(PutRequest(key: b("nope"), ignoreLease: true)) }
    #expect(throws: MVCCError.leaseNotFound(id: 9)) { try store.put(PutRequest(key: b("k"), value: b("x"), lease: 9)) }
    #expect(store.currentRevision == revision)
    #expect(MVCCError.keyNotFound.description == "key not found")
  }

  @Test func deleteRangeSingleRangePrefixAndFromKey() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    for k in ["a", "b", "b1", "b2", "c", "d"] { try store.put(k, "v" + k) }  // revs 2...7
    let single = try store.deleteRange(DeleteRangeRequest(key: b("a"), prevKV: true))
    #expect(single.deleted == 1 && keys(single.prevKVs) == ["a"] && single.revision == 8)
    let prefix = KeyRange.prefix(b("b"))
    let byPrefix = try store.deleteRange(DeleteRangeRequest(key: prefix.key, rangeEnd: prefix.end))
    #expect(byPrefix.deleted == 3 && byPrefix.prevKVs.isEmpty && byPrefix.revision == 9)
    let nothing = try store.deleteRange(DeleteRangeRequest(key: b("zzz")))
    #expect(nothing.deleted == 0 && nothing.revision == 9 && store.currentRevision == 9)
    let fromKey = try store.deleteRange(DeleteRangeRequest(key: b("c"), rangeEnd: [0], prevKV: true))
    #expect(fromKey.deleted == 2 && keys(fromKey.prevKVs) == ["c", "d"])
    #expect(try store.range(RangeRequest(key: [0], rangeEnd: [0])).count == 0)
    #expect(try store.get("b1", revision: 8).kvs.first?.value == b("vb1"))
  }

  @Test func everyWriteIsReportedToTheObserverAndReadableAsHistory() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let observer = RecordingObserver()
    store.observer = observer
    try store.put("a", "1")
    try store.put("b", "2")
    _ = try store.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: b("c")))
    _ = try store.deleteRange(DeleteRangeRequest(key: b("x")))
    #expect(observer.commits.map(\.revision) == [2, 3, 4])
    #expect(observer.commits[2].events.map(\.kind) == [.delete, .delete])
    let history = try store.events(from: 2, through: 4, limit: 0)
    #expect(history.map(\.kind) == [.put, .put, .delete, .delete])
    #expect(history[3].kv == KeyValue(key: b("b"), createRevision: 0, modRevision: 4, version: 0, value: []))
    #expect(try store.events(from: 3, through: 4, limit: 2).count == 2)
    #expect(try store.value(of: b("a"), atRevision: 3)?.value == b("1"))
    #expect(try store.value(of: b("a"), atRevision: 4) == nil)
  }
}
