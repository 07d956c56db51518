import Foundation
import Raft
import Testing
import TestSupport

@testable import WAL

/// A private temp directory (TestSupport's `makeTemporaryDirectory`), removed by `remove()`.
struct TempDir {
  let path: String
  init(_ label: String) { path = makeTemporaryDirectory("swetcd-wal-\(label)") }
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Damaged WAL files on the real file system: each is a clean, named refusal (or a reported torn tail), never a crash.
@Suite struct WALCorruptionTests {
  let fs = PosixFileSystem()
  let options = WALOptions(segmentSize: 4096)

  /// Writes 40 entries (several segments) and returns the WAL dir and its segment names.
  func makeWAL(_ tmp: TempDir) throws -> (String, [String]) {
    let dir = tmp.path + "/member/wal"
    let wal = try WriteAheadLog.create(fs: fs, directory: dir, metadata: WALMetadata(memberID: 1, clusterID: 2), options: options)
    for i in UInt64(1)...40 {
      try wal.save(
        hardState: HardState(term: 1, commit: i), entries: [Entry(term: 1, index: i, data: [UInt8](repeating: 0x5A, count: 300))],
        mustSync: true)
    }
    try wal.close()
    return (dir, try fs.listDirectory(dir).filter { $0.hasSuffix(".wal") }.sorted())
  }

  func patch(_ path: String, at offset: Int, _ body: (inout UInt8) -> Void) throws {
    var bytes = try fs.readFile(path)
    body(&bytes[offset])
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  func expectCorrupt(_ dir: String, file: String? = nil, _ comment: Comment) {
    do {
      _ = try WriteAheadLog.open(fs: fs, directory: dir, options: options)
      Issue.record("accepted a damaged WAL: \(comment)")
    } catch let error as WALError {
      let text = "\(error)"
      if let file { #expect(text.contains(file), "\(comment): \(text)") }
      switch error {
      case .corrupt, .badSegmentSet, .snapshotNotFound: #expect(text.contains("remove it from the cluster"), "\(text)")
      default: Issue.record("unexpected error \(text) for \(comment)")
      }
    } catch {
      Issue.record("non-WAL error \(error)")
    }
  }

  @Test func bitFlipsInHeaderCRCOrDataOfAMiddleSegmentAreRefusedWithFileAndOffset() throws {
    let tmp = TempDir("flip")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    #expect(names.count >= 3)
    let middle = dir + "/" + names[1]
    let original = try fs.readFile(middle)
    // Header length, header CRC, entry term, entry data: every one is caught.
    for offset in [16 + 1, 16 + 5, 16 + 8 + 3, 80 + 8 + 40] {
      try Data(original).write(to: URL(fileURLWithPath: middle))
      try patch(middle, at: offset) { $0 ^= 0x04 }
      expectCorrupt(dir, file: names[1], "flip at \(offset)")
    }
  }

  @Test func truncationMidRecordOfAMiddleSegmentIsRefused() throws {
    let tmp = TempDir("trunc")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    let middle = dir + "/" + names[1]
    let size = try fs.stat(middle)!.size
    #expect(truncate(middle, off_t(size - 100)) == 0)
    expectCorrupt(dir, file: names[1], "truncated middle segment")
  }

  @Test func truncationMidRecordOfTheLastSegmentIsATornTail() throws {
    let tmp = TempDir("tail")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    let last = dir + "/" + names.last!
    let (_, full) = try WriteAheadLog.open(fs: fs, directory: dir, options: options)
    let bytes = try fs.readFile(last)
    // Find the end of written records (the first all-zero header), cut inside the last record.
    var end = 0
    bytes.withUnsafeBytes { raw in
      var running: UInt32? = nil
      while case let .record(_, crc, next) = RecordDecoder.read(raw, at: end, running: running) {
        running = crc
        end = next
      }
    }
    #expect(truncate(last, off_t(end - 20)) == 0)
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: dir, options: options)
    #expect(recovery.tornTail?.file == last)
    #expect(recovery.entries.count <= full.entries.count)
    #expect(recovery.entries == Array(full.entries.prefix(recovery.entries.count)))
  }

  @Test func anOversizedLengthFieldIsRefusedEvenInTheLastSegment() throws {
    let tmp = TempDir("len")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    let last = dir + "/" + names.last!
    try patch(last, at: 16 + 3) { $0 = 0x7F }
    expectCorrupt(dir, file: names.last!, "oversized length")
  }

  @Test func aMissingMiddleSegmentIsRefused() throws {
    let tmp = TempDir("missing")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    try fs.remove(dir + "/" + names[1])
    expectCorrupt(dir, "missing segment")
  }

  @Test func aBadSegmentNameIsRefused() throws {
    let tmp = TempDir("name")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    try fs.rename(dir + "/" + names[1], dir + "/0001-junk.wal")
    expectCorrupt(dir, "bad name")
  }

  @Test func anIndexGapIsRefused() throws {
    let tmp = TempDir("gap")
    defer { tmp.remove() }
    let dir = tmp.path + "/wal"
    let wal = try WriteAheadLog.create(fs: fs, directory: dir, metadata: WALMetadata(memberID: 1, clusterID: 2), options: options)
    try wal.save(hardState: nil, entries: [Entry(term: 1, index: 1), Entry(term: 1, index: 2)], mustSync: true)
    try wal.save(hardState: nil, entries: [Entry(term: 1, index: 5)], mustSync: true)
    try wal.save(hardState: nil, entries: [Entry(term: 1, index: 6)], mustSync: true)
    expectCorrupt(dir, "index gap")
  }

  @Test func aCRCMismatchFollowedByValidRecordsInTheLastSegmentIsRefused() throws {
    let tmp = TempDir("mid")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    let last = dir + "/" + names.last!
    // The first entry record after the segment header (crc 16 + metadata 32 + hard state 40 bytes).
    try patch(last, at: 88 + 8 + 30) { $0 ^= 0x01 }
    expectCorrupt(dir, file: names.last!, "bad CRC before valid records")
  }
}

extension WALCorruptionTests {
  @Test func aSegmentWhoseCRCRecordDoesNotContinueTheChainIsRefused() throws {
    let tmp = TempDir("chain")
    defer { tmp.remove() }
    let (dir, names) = try makeWAL(tmp)
    let middle = dir + "/" + names[1]
    // A well-formed CRC record (its own CRC valid) that carries a running CRC the previous segment did not end with.
    var forged = RecordEncoder(crc: 0x1234_5678)
    forged.crcRecord()
    var bytes = try fs.readFile(middle)
    #expect(forged.buffer.count == 16)
    bytes.replaceSubrange(0..<forged.buffer.count, with: forged.buffer)
    try Data(bytes).write(to: URL(fileURLWithPath: middle))
    do {
      _ = try WriteAheadLog.open(fs: fs, directory: dir, options: options)
      Issue.record("accepted a segment that breaks the CRC chain")
    } catch let error as WALError {
      guard case let .corrupt(file, offset, reason) = error else { throw error }
      #expect(file == middle)
      #expect(offset == 0)
      #expect(reason.contains("CRC chain broken") && reason.contains("found \(0x1234_5678)"))
    }
  }
}
