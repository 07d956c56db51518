import Foundation
import MVCC
import Testing

/// A store with history (keys, two leases, a compaction, auth rows), applied up to index 42 of term 3.
struct RestoreSource {
  let fixture = StoreFixture()
  let store: KVStore
  let leases: Leases

  init() throws {
    store = try fixture.open()
    leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 7, ttl: 60, now: .zero)
    try leases.grant(id: 8, ttl: 120, now: .zero)
    for i in 0..<40 { try store.put("k\(i % 9)", "v\(i)") }  // 2...41
    try store.put("leased-a", "x", lease: 7)  // 42
    try store.put("leased-b", "y", lease: 7)  // 43
    _ = try store.deleteRange(DeleteRangeRequest(key: b("k3")))  // 44
    try store.compact(30)
    for i in 40..<60 { try store.put("k\(i % 9)", "v\(i)") }  // 45...64
    try leases.checkpoint(id: 8, remainingTTL: 100)
    try store.putBlob(.auth, name: "enabled", value: [1])
    _ = try store.put(PutRequest(key: b("last"), value: b("z")), applied: ConsistentIndex(index: 42, term: 3))  // 65
  }

  /// The store's database as a Raft snapshot carries it: the stream's bytes (no SHA-256 trailer) in `directory`.
  func databaseCopy(in directory: TemporaryDirectory, named name: String = "incoming.db") throws -> String {
    let stream = try store.snapshot(in: directory.path)
    var bytes = Data()
    while let chunk = try stream.nextChunk() { bytes.append(contentsOf: chunk) }
    #expect(Int64(bytes.count) == stream.totalBytes)
    let path = directory.file(name)
    try bytes.write(to: URL(fileURLWithPath: path))
    return path
  }

  func remove() { fixture.remove() }
}

/// Everything a member answers from its store, to compare two stores.
struct StoreAnswers: Equatable {
  var revision: Int64
  var compacted: Int64
  var all: RangeResponse
  var atOldRevisions: [RangeResponse]
  var hash: UInt32
  var hashKV: HashKVResult
  var consistentIndex: ConsistentIndex
  var leaseRows: [LeaseRecord]
  var authRows: [String]
  var history: [Event]

  init(_ store: KVStore) throws {
    revision = store.currentRevision
    compacted = store.compactedRevision
    all = try store.range(RangeRequest(key: [0], rangeEnd: [0]))
    atOldRevisions = try [store.compactedRevision, 44, 50].map {
      try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: $0))
    }
    hash = try store.hash()
    hashKV = try store.hashKV(0)
    consistentIndex = try store.consistentIndex()
    leaseRows = try store.leases()
    authRows = try store.blobs(.auth).map { "\($0.name)=\($0.value)" }
    history = try store.events(from: store.compactedRevision, through: store.currentRevision, limit: 0)
  }
}

/// Installing another member's database in a running store (a Raft snapshot): the store then answers exactly as
/// the source, readers never see a mix, bad files are refused with the store intact, and a restart keeps it.
@Suite struct StoreRestoreTests {
  /// A store with other data: keys t0...t9 (revisions 2...11), lease 9 with a key, an auth row.
  private func openTarget(_ fixture: StoreFixture) throws -> (KVStore, Leases) {
    let store = try fixture.open()
    let leases = try Leases(store: store, lessor: Lessor())
    try leases.grant(id: 9, ttl: 30, now: .zero)
    for i in 0..<10 { try store.put("t\(i)", "old\(i)", lease: i == 0 ? 9 : 0) }
    try store.putBlob(.auth, name: "stale", value: [9])
    _ = try store.put(PutRequest(key: b("k1"), value: b("target")), applied: ConsistentIndex(index: 5, term: 1))
    return (store, leases)
  }

  @Test func aRestoredStoreAnswersRangesRevisionsHashesAndTheConsistentIndexAsTheSource() throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, _) = try openTarget(fixture)
    let file = try source.databaseCopy(in: fixture.dir)
    let applied = try target.restore(fromDatabaseFile: file, minimumConsistentIndex: 42)
    #expect(applied == ConsistentIndex(index: 42, term: 3))
    let expected = try StoreAnswers(source.store)
    #expect(try StoreAnswers(target) == expected)
    #expect(target.keyCounts == source.store.keyCounts)
    #expect(try target.get("t0").kvs.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: file))
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.dir.path).filter { $0.hasPrefix(".restore") }.isEmpty)
    // Writes go on from the restored revision.
    #expect(try target.put("after", "restore").revision == expected.revision + 1)
  }

  @Test func restoringThenRestartingGivesTheSameStore() throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    var restored: StoreAnswers
    do {
      let (target, _) = try openTarget(fixture)
      try target.restore(fromDatabaseFile: try source.databaseCopy(in: fixture.dir))
      _ = try target.put(PutRequest(key: b("after"), value: b("r")), applied: ConsistentIndex(index: 43, term: 3))
      try target.commit()
      restored = try StoreAnswers(target)
    }
    let reopened = try fixture.open()
    #expect(try StoreAnswers(reopened) == restored)
    #expect(restored.consistentIndex == ConsistentIndex(index: 43, term: 3))
    #expect(try reopened.get("after").kvs.first?.modRevision == source.store.currentRevision + 1)
  }

  @Test func readersDuringARestoreSeeTheOldStoreOrTheNewOneNeverAMix() throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    // The pair is written together in both stores; the source has more history, so the restore takes a while.
    let pair = TxnRequest(success: [
      .put(PutRequest(key: b("pair/a"), value: b("new"))), .put(PutRequest(key: b("pair/b"), value: b("new"))),
    ])
    for i in 0..<3000 { try source.store.put("bulk\(i % 500)", String(repeating: "v", count: 100)) }
    _ = try source.store.txn(pair, applied: ConsistentIndex(index: 50, term: 3))
    let newRevision = source.store.currentRevision
    let (target, _) = try openTarget(fixture)
    _ = try target.txn(TxnRequest(success: [
      .put(PutRequest(key: b("pair/a"), value: b("old"))), .put(PutRequest(key: b("pair/b"), value: b("old"))),
    ]))
    let oldRevision = target.currentRevision
    let file = try source.databaseCopy(in: fixture.dir)

    let stop = LockedBox(false)
    let seen = LockedBox<[String: Int]>([:])
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      defer { finished.signal() }
      while !stop.get() {
        let answer: String
        do {
          let response = try target.range(RangeRequest(key: b("pair/"), rangeEnd: b("pair0")))
          let values = response.kvs.map { String(decoding: $0.value, as: UTF8.self) }
          answer = "\(values.joined(separator: ","))@\(response.revision)"
        } catch {
          answer = "error: \(error)"
        }
        seen.update { $0[answer, default: 0] += 1 }
      }
    }
    /// Waits (up to 30 s, for a loaded machine) until the reader has given `answer` at least once.
    func readerSaw(_ answer: String) -> Bool {
      let deadline = Date().addingTimeInterval(30)
      while seen.get()[answer] == nil {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.001)
      }
      return true
    }
    // The reader is reading before the restore starts: it has seen the old store.
    let sawOld = readerSaw("old,old@\(oldRevision)")
    #expect(sawOld, "the reader never saw the old store: \(seen.get())")
    try target.restore(fromDatabaseFile: file)
    // Keep reading until the reader has seen the new store too.
    let sawNew = readerSaw("new,new@\(newRevision)")
    stop.set(true)
    finished.wait()
    #expect(sawNew, "the reader never saw the restored store: \(seen.get())")
    let answers = Set(seen.get().keys)
    #expect(answers.isSubset(of: ["old,old@\(oldRevision)", "new,new@\(newRevision)"]), "\(seen.get())")
  }

  @Test(arguments: ["text", "foreign", "damaged", "trailer", "truncated", "noIndex"])
  func aFileThatIsNotAWholeBackendIsRefusedAndTheStoreIsUnchanged(kind: String) throws {
    let source = try RestoreSource()
    let fixture = StoreFixture()
    defer { source.remove(); fixture.remove() }
    let (target, _) = try openTarget(fixture)
    let before = try target.range(RangeRequest(key: [0], rangeEnd: [0]))
    let beforeHash = try target.hash()
    let file = fixture.dir.file("incoming.db")
    let expectedDetail: String
    switch kind {
    case "text":
      try Data("this is not a database".utf8).write(to: URL(fileURLWithPath: file))
      expectedDetail = "not an SQLite 3 database"
    case "foreign":
      let other = try SQLiteConnection(path: file)
      try other.execute("CREATE TABLE kv (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO kv (body) VALUES ('x');")
      expectedDetail = "not a swetcd backend"
    case "damaged":
      var bytes = try Data(contentsOf: URL(fileURLWithPath: try source.databaseCopy(in: fixture.dir)))
      let pageSize = 4096
      for offset in stride(from: pageSize, to: bytes.count, by: 7) { bytes[offset] = 0xA5 }
      try bytes.write(to: URL(fileURLWithPath: file))
      expectedDetail = "SQLite's quick check found damage"
    case "trailer":
      try source.store.snapshot(in: fixture.dir.path).write(to: file)  // etcdctl's file: bytes then SHA-256
      expectedDetail = "SHA-256 trailer"
    case "truncated":
      let bytes = try Data(contentsOf: URL(fileURLWithPath: try source.databaseCopy(in: fixture.dir)))
      try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
      expectedDetail = "SQLite cannot read it"  // its header names more pages than the file holds
    default:
      let empty = try KVStore(path: fixture.dir.file("empty.db"))
      try empty.put("x", "y")
      try empty.snapshot(in: fixture.dir.path).write(to: fixture.dir.file("with-trailer"))
      try SnapshotFile.restore(from: fixture.dir.file("with-trailer"), to: file)
      expectedDetail = "consistent index 0 is below 1"
    }
    let original = try Data(contentsOf: URL(fileURLWithPath: file))
    let refused = Result { () throws(MVCCError) -> ConsistentIndex in try target.restore(fromDatabaseFile: file) }
    guard case .failure(let error) = refused, case .corrupt(_, let detail) = error else {
      Issue.record("a \(kind) file was not refused: \(refused)")
      return
    }
    #expect(detail.contains(expectedDetail), "\(detail)")
    #expect(error.description.contains("the current store is unchanged"))
    #expect(try target.range(RangeRequest(key: [0], rangeEnd: [0])) == before)
    #expect(try target.hash() == beforeHash)
    #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original, "the refused file is given back")
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.dir.path).filter { $0.hasPrefix(".restore") }.isEmpty)
    #expect(try target.put("still", "writable").revision == before.revision + 1)
  }
}
