import MVCC
import Testing

/// Txn with etcd 3.4's semantics: compares, branches, nesting, one revision, request checks.
@Suite struct StoreTxnTests {
  private func put(_ k: String, _ v: String) -> RequestOp { .put(PutRequest(key: b(k), value: b(v))) }

  @Test func aValueCompareOnAMissingKeyFailsButZeroVersionMatches() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let byValue = try store.txn(TxnRequest(compare: [Compare(key: b("k"), target: .value([]), result: .equal)]))
    #expect(!byValue.succeeded)
    let byVersion = try store.txn(TxnRequest(
      compare: [Compare(key: b("k"), target: .version(0), result: .equal)], success: [put("k", "created")]))
    #expect(byVersion.succeeded && byVersion.revision == 2)
    let byCreate = try store.txn(TxnRequest(compare: [Compare(key: b("k"), target: .create(2), result: .equal)]))
    #expect(byCreate.succeeded && byCreate.revision == 2)
  }

  @Test func comparesOfEveryTargetAndResult() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 5, ttl: 60, now: .zero)
    try store.put("k", "m", lease: 5)  // rev 2
    func holds(_ target: Compare.Target, _ result: Compare.Result) throws -> Bool {
      try store.txn(TxnRequest(compare: [Compare(key: b("k"), target: target, result: result)])).succeeded
    }
    #expect(try holds(.value(b("m")), .equal))
    #expect(try holds(.value(b("a")), .greater))
    #expect(try holds(.value(b("z")), .less))
    #expect(try holds(.value(b("z")), .notEqual))
    #expect(try holds(.version(1), .equal))
    #expect(try holds(.create(3), .less))
    #expect(try holds(.mod(1), .greater))
    #expect(try holds(.lease(5), .equal))
    #expect(try !holds(.lease(5), .notEqual))
  }

  @Test func aCompareWithRangeEndMustHoldForEveryKeyInTheRange() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try store.put("p/a", "1")
    try store.put("p/b", "1")
    let prefix = KeyRange.prefix(b("p/"))
    let all = Compare(key: prefix.key, rangeEnd: prefix.end, target: .value(b("1")), result: .equal)
    #expect(try store.txn(TxnRequest(compare: [all])).succeeded)
    try store.put("p/c", "2")
    #expect(try !store.txn(TxnRequest(compare: [all])).succeeded)
  }

  @Test func aTxnGetsOneRevisionWithSubRevisionsAndReadsItsOwnWrites() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let observer = RecordingObserver()
    store.observer = observer
    try store.put("x", "old")  // 2
    let response = try store.txn(TxnRequest(success: [
      put("a", "1"),
      .range(RangeRequest(key: b("a"))),
      .deleteRange(DeleteRangeRequest(key: b("x"), prevKV: true)),
      put("b", "2"),
    ]))
    #expect(response.succeeded && response.revision == 3 && store.currentRevision == 3)
    guard case .range(let read) = response.responses[1], case .deleteRange(let deleted) = response.responses[2],
      case .put(let putB) = response.responses[3]
    else { Issue.record("unexpected responses \(response.responses)"); return }
    #expect(read.kvs.first?.value == b("1") && read.revision == 3)
    #expect(deleted.deleted == 1 && deleted.prevKVs.first?.value == b("old") && deleted.revision == 3)
    #expect(putB.revision == 3)
    #expect(observer.commits.last?.events.map(\.kv.modRevision) == [3, 3, 3])
    #expect(try store.get("a").kvs.first?.modRevision == 3)
  }

  @Test func nestedTxnComparesSeeTheStateBeforeTheTxn() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let nested = TxnRequest(
      compare: [Compare(key: b("flag"), target: .version(0), result: .equal)],
      success: [put("inner", "then")], failure: [put("inner", "else")])
    let response = try store.txn(TxnRequest(success: [put("flag", "set"), .txn(nested)]))
    #expect(response.succeeded)
    guard case .txn(let inner) = response.responses[1] else { Issue.record("no nested response"); return }
    #expect(inner.succeeded)
    #expect(try store.get("inner").kvs.first?.value == b("then"))
  }

  @Test func aReadOnlyTxnDoesNotAdvanceTheRevision() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try store.put("a", "1")
    let response = try store.txn(TxnRequest(success: [.range(RangeRequest(key: b("a")))]))
    #expect(response.revision == 2 && store.currentRevision == 2)
    let noChange = try store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(key: b("zz")))]))
    #expect(noChange.revision == 2 && store.currentRevision == 2)
  }

  @Test func duplicateKeysAndTooManyOpsAreRefusedWithEtcdsMessages() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open(KVStoreOptions(maxTxnOps: 3))
    let twice = TxnRequest(success: [put("a", "1"), put("a", "2")])
    #expect(throws: MVCCError.duplicateKeyInTxn) { try store.txn(twice) }
    let putAndDelete = TxnRequest(success: [put("b/1", "1"), .deleteRange(DeleteRangeRequest(key: b("b"), rangeEnd: b("c")))])
    #expect(throws: MVCCError.duplicateKeyInTxn) { try store.txn(putAndDelete) }
    let nestedConflict = TxnRequest(success: [put("a", "1"), .txn(TxnRequest(success: [put("a", "2")]))])
    #expect(throws: MVCCError.duplicateKeyInTxn) { try store.txn(nestedConflict) }
    let bothBranches = TxnRequest(success: [.txn(TxnRequest(success: [put("a", "1")], failure: [put("a", "2")]))])
    _ = try store.txn(bothBranches)
    let splitBranches = TxnRequest(success: [put("a", "1")], failure: [put("a", "2")])
    _ = try store.txn(splitBranches)
    let tooMany = TxnRequest(success: [put("1", ""), put("2", ""), put("3", ""), put("4", "")])
    #expect(throws: MVCCError.tooManyTxnOps(limit: 3)) { try store.txn(tooMany) }
    let tooManyNested = TxnRequest(success: [.txn(TxnRequest(failure: [put("1", ""), put("2", ""), put("3", ""), put("4", "")]))])
    #expect(throws: MVCCError.tooManyTxnOps(limit: 3)) { try store.txn(tooManyNested) }
    #expect(MVCCError.duplicateKeyInTxn.description == "duplicate key given in txn request")
    #expect(MVCCError.tooManyTxnOps(limit: 3).description == "too many operations in txn request")
  }

  @Test func aFailingPutCheckLeavesTheWholeTxnUnapplied() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    let request = TxnRequest(success: [put("a", "1"), .put(PutRequest(key: b("missing"), ignoreValue: true))])
    #expect(throws: MVCCError.keyNotFound) { try store.txn(request) }
    #expect(try store.get("a").kvs.isEmpty && store.currentRevision == 1)
    let future = TxnRequest(success: [put("a", "1"), .range(RangeRequest(key: b("a"), revision: 9))])
    #expect(throws: MVCCError.futureRevision(requested: 9, currentRevision: 1)) { try store.txn(future) }
    #expect(store.currentRevision == 1)
  }
}

/// Leases and blobs written through the store survive a restart with the consistent index of their entry.
@Suite struct StoreTablesTests {
  @Test func leaseAndBlobRowsSurviveARestartWithTheirConsistentIndex() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    do {
      let store = try fixture.open()
      try store.putLease(LeaseRecord(id: 1, ttl: 10), applied: ConsistentIndex(index: 5, term: 1))
      try store.putLease(LeaseRecord(id: 2, ttl: 20, remainingTTL: 7), applied: ConsistentIndex(index: 6, term: 1))
      try store.deleteLease(id: 1, applied: ConsistentIndex(index: 7, term: 1))
      try store.putBlob(.members, name: "a", value: [1, 2], applied: ConsistentIndex(index: 8, term: 2))
      try store.commit()
    }
    let store = try fixture.open()
    #expect(try store.leases() == [LeaseRecord(id: 2, ttl: 20, remainingTTL: 7)])
    #expect(try store.blob(.members, name: "a") == [1, 2])
    #expect(try store.consistentIndex() == ConsistentIndex(index: 8, term: 2))
  }
}
