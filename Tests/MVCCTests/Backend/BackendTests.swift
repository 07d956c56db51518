import Checksum
import Foundation
import MVCC
import Testing

/// The SQLite backend: batching, read-through of uncommitted writes, meta, small tables, snapshots, defragmentation.
@Suite struct BackendTests {
  private func row(_ main: Int64, _ sub: Int64 = 0, key: String, value: String = "v") -> StoredRevision {
    StoredRevision(
      revision: Revision(main: main, sub: sub),
      kv: KeyValue(key: Array(key.utf8), createRevision: main, modRevision: main, version: 1, value: Array(value.utf8)),
      tombstone: false)
  }

  @Test func readRightAfterAnUncommittedWriteSeesIt() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    try backend.put(row(2, key: "a", value: "fresh"))
    #expect(backend.hasUncommittedChanges)
    #expect(try backend.revision(Revision(main: 2))?.kv.value == Array("fresh".utf8))
    try backend.commit()
    #expect(!backend.hasUncommittedChanges)
    #expect(try backend.revision(Revision(main: 2))?.kv.value == Array("fresh".utf8))
  }

  @Test func uncommittedWritesAndTheirConsistentIndexAreLostTogether() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    do {
      let backend = try Backend(path: dir.file("db"))
      try backend.put(row(2, key: "a"))
      try backend.setConsistentIndex(ConsistentIndex(index: 7, term: 2))
      try backend.commit()
      try backend.put(row(3, key: "b"))
      try backend.setConsistentIndex(ConsistentIndex(index: 8, term: 2))
      // No commit: the process "crashes" here.
    }
    let reopened = try Backend(path: dir.file("db"))
    #expect(try reopened.consistentIndex() == ConsistentIndex(index: 7, term: 2))
    #expect(try reopened.revision(Revision(main: 2)) != nil)
    #expect(try reopened.revision(Revision(main: 3)) == nil)
  }

  @Test func theOpenTransactionCommitsAtTheBatchLimit() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"), options: BackendOptions(batchLimit: 3))
    try backend.put(row(2, key: "a"))
    try backend.put(row(3, key: "b"))
    #expect(try backend.commitIfFull() == false)
    try backend.put(row(4, key: "c"))
    #expect(try backend.commitIfFull() == true)
    #expect(!backend.hasUncommittedChanges)
  }

  @Test func flushIfDueCommitsOnlyAfterTheBatchInterval() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"), options: BackendOptions(batchInterval: .milliseconds(100)))
    #expect(try backend.flushIfDue(now: .seconds(10)) == false)
    try backend.put(row(2, key: "a"))
    #expect(try backend.flushIfDue(now: .seconds(10) + .milliseconds(99)) == false)
    #expect(backend.hasUncommittedChanges)
    #expect(try backend.flushIfDue(now: .seconds(10) + .milliseconds(100)) == true)
    #expect(!backend.hasUncommittedChanges)
  }

  @Test func historyReadsMergeCommittedAndUncommittedRowsInRevisionOrder() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    try backend.put(row(2, key: "a"))
    try backend.put(row(3, key: "b"))
    try backend.commit()
    try backend.put(row(4, key: "c"))
    try backend.put(row(4, 1, key: "d"))
    let all = try backend.revisions(from: 3, through: 4, limit: 0)
    #expect(all.map(\.revision) == [Revision(main: 3), Revision(main: 4), Revision(main: 4, sub: 1)])
    let limited = try backend.revisions(from: 2, through: 4, limit: 3)
    #expect(limited.map(\.kv.key) == [Array("a".utf8), Array("b".utf8), Array("c".utf8)])
  }

  @Test func loadReadsManyRevisionsInTheOrderAskedFromTheDatabaseAndTheBuffer() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    for i in Int64(2)...150 { try backend.put(row(i, key: "k\(i)")) }
    try backend.commit()
    for i in Int64(151)...170 { try backend.put(row(i, key: "k\(i)")) }  // uncommitted
    // More revisions than one query reads, committed and buffered ones mixed, in no revision order.
    let wanted = (Int64(2)...170).sorted { ($0 * 37) % 169 < ($1 * 37) % 169 }.map { Revision(main: $0) }
    let rows = try backend.load(wanted)
    #expect(rows.map(\.revision) == wanted)
    #expect(rows.map { String(decoding: $0.kv.key, as: UTF8.self) } == wanted.map { "k\($0.main)" })
    let error = #expect(throws: MVCCError.self) { try backend.load(wanted + [Revision(main: 999)]) }
    #expect(error?.description.contains("revision 999_0 is in the key index but not in the kv table") == true)
  }

  /// Tiny rows (whose cells and pointers take several times their key and value bytes) and a mix of small rows,
  /// rows spilling into overflow pages, blobs and deletes.
  @Test(arguments: [[1], [100, 3000, 9000, 40]])
  func sizeExceedsAgreesWithTheMeasuredSizeAfterEveryWrite(valueSizes: [Int]) throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    let limit: Int64 = 1024 * 1024
    var main: Int64 = 2
    var crossed = false
    while !crossed {
      let valueSize = valueSizes[Int(main) % valueSizes.count]
      try backend.put(row(main, key: "k\(main)", value: String(repeating: "v", count: valueSize)))
      if main % 7 == 0 { try backend.putBlob(.members, name: "m\(main)", value: Array(repeating: 1, count: 500)) }
      if main % 5 == 0 { try backend.delete(Revision(main: main - 3)) }
      let exceeds = try backend.size(exceeds: limit)
      #expect(exceeds == (try backend.size() > limit), "after revision \(main)")
      crossed = exceeds
      main += 1
    }
    #expect(try backend.size() > limit)
  }

  @Test func leasesAndBlobsSurviveAReopen() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    do {
      let backend = try Backend(path: dir.file("db"))
      try backend.putLease(LeaseRecord(id: 5, ttl: 30, remainingTTL: 12))
      try backend.putLease(LeaseRecord(id: 9, ttl: 60))
      try backend.deleteLease(id: 9)
      try backend.putBlob(.auth, name: "enabled", value: [1])
      try backend.putBlob(.members, name: "8e9e05c52164694d", value: Array("m1".utf8))
      try backend.commit()
    }
    let backend = try Backend(path: dir.file("db"))
    #expect(try backend.leases() == [LeaseRecord(id: 5, ttl: 30, remainingTTL: 12)])
    #expect(try backend.blob(.auth, name: "enabled") == [1])
    #expect(try backend.blobs(.members).map(\.name) == ["8e9e05c52164694d"])
    try backend.deleteBlob(.auth, name: "enabled")
    #expect(try backend.blob(.auth, name: "enabled") == nil)
  }

  @Test func snapshotRoundTripsAndADamagedSnapshotIsRefused() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    for i in Int64(2)...200 { try backend.put(row(i, key: "k\(i)", value: String(repeating: "x", count: 300))) }
    try backend.setConsistentIndex(ConsistentIndex(index: 42, term: 3))
    try backend.commit()
    let stream = try backend.snapshot(in: dir.path)
    #expect(stream.consistentIndex == ConsistentIndex(index: 42, term: 3))
    var chunks = 0
    var bytes = 0
    while let chunk = try stream.nextChunk() {
      #expect(chunk.count <= SnapshotStream.chunkSize)
      chunks += 1
      bytes += chunk.count
    }
    #expect(chunks > 1)
    #expect(Int64(bytes) == stream.totalBytes)
    #expect(stream.trailer?.count == 32)

    let snapshot = try backend.snapshot(in: dir.path)
    try snapshot.write(to: dir.file("snap.db"))
    try SnapshotFile.restore(from: dir.file("snap.db"), to: dir.file("restored"))
    let restored = try Backend(path: dir.file("restored"))
    #expect(try restored.consistentIndex() == ConsistentIndex(index: 42, term: 3))
    #expect(try restored.revision(Revision(main: 200))?.kv.key == Array("k200".utf8))

    var damaged = try Data(contentsOf: URL(fileURLWithPath: dir.file("snap.db")))
    damaged[100] ^= 0xff
    try damaged.write(to: URL(fileURLWithPath: dir.file("bad.db")))
    let error = #expect(throws: MVCCError.self) { try SnapshotFile.restore(from: dir.file("bad.db"), to: dir.file("r2")) }
    #expect(error?.description.contains("SHA-256 trailer does not match") == true)
    #expect(!FileManager.default.fileExists(atPath: dir.file("r2")))
  }

  @Test func defragmentationGivesBackTheSpaceOfDeletedRows() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let backend = try Backend(path: dir.file("db"))
    for i in Int64(2)...3000 { try backend.put(row(i, key: "k\(i)", value: String(repeating: "x", count: 256))) }
    try backend.commit()
    for i in Int64(2)...2900 { try backend.delete(Revision(main: i)) }
    try backend.commit()
    #expect(try backend.sizeInUse() < backend.size())
    let result = try backend.defragment()
    #expect(result.sizeAfter < result.sizeBefore / 4)
    #expect(try backend.revision(Revision(main: 3000)) != nil)
  }

  @Test func crc32cMatchesTheCastagnoliCheckValue() {
    var crc = RunningCRC32C()
    crc.update(Array("123456789".utf8))
    #expect(crc.value == 0xE306_9283)
    var split = RunningCRC32C()
    split.update(Array("1234".utf8))
    split.update(Array("56789".utf8))
    #expect(split.value == crc.value)
  }
}
