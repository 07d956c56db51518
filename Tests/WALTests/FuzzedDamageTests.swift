import Checksum
import Foundation
import Raft
import Testing

@testable import WAL

/// Random damage never crashes recovery and is never accepted as data: the log either opens with genuine entries
/// (damage only in a torn-looking tail or in padding) or refuses with a WALError.
@Suite struct FuzzedDamageTests {
  static let dir = "/d/wal"

  @Test func randomByteDamageIsRefusedOrYieldsOnlyGenuineEntries() throws {
    var refused = 0
    for seed in UInt64(1)...400 {
      var rng = SplitMix64(seed: seed)
      let fs = SimulatedFileSystem(seed: seed)
      let options = WALOptions(segmentSize: 4096)
      let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: WALMetadata(memberID: 1, clusterID: 1), options: options)
      let original = (1...30).map { Entry(term: 1, index: UInt64($0), data: [UInt8](repeating: UInt8($0), count: 250)) }
      for e in original { try wal.save(hardState: HardState(term: 1, commit: e.index), entries: [e], mustSync: true) }
      try wal.close()
      let files = try fs.listDirectory(Self.dir).sorted()
      let victim = Self.dir + "/" + files[Int(rng.next() % UInt64(files.count))]
      let size = try fs.stat(victim)!.size
      switch rng.next() % 3 {
      case 0:
        for _ in 0..<(1 + rng.next() % 3) { try fs.flipBit(victim, offset: Int(rng.next() % UInt64(size)), bit: Int(rng.next() % 8)) }
      case 1:
        try fs.truncateAtRest(victim, to: Int(rng.next() % UInt64(size)))
      default:
        let bytes = (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try fs.overwriteAtRest(victim, offset: Int(rng.next() % UInt64(size)), with: bytes)
      }
      do {
        let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: options)
        #expect(recovery.entries == Array(original.prefix(recovery.entries.count)), "seed \(seed): damaged data accepted")
      } catch is WALError {
        refused += 1
      }
    }
    #expect(refused > 50)
  }

  @Test func garbageSnapshotFilesAreRejectedCleanly() throws {
    let good = Snapshotter.encode(Snapshot(metadata: SnapshotMetadata(index: 5, term: 2, confState: ConfState(voters: [1, 2])), data: [1, 2, 3]))
    #expect(try Snapshotter.decode(good, path: "x").metadata.index == 5)
    var rng = SplitMix64(seed: 99)
    for cut in 0..<good.count {
      #expect(throws: WALError.self) { _ = try Snapshotter.decode(Array(good.prefix(cut)), path: "x") }
    }
    for _ in 0..<500 {
      var damaged = good
      damaged[Int(rng.next() % UInt64(good.count))] ^= UInt8(1 << (rng.next() % 8))
      #expect(throws: WALError.self) { _ = try Snapshotter.decode(damaged, path: "x") }
    }
  }

  @Test func snapshotFileIsMagicVersionCRCLengthThenIndexTermSortedMembersAndData() throws {
    let snapshot = Snapshot(
      metadata: SnapshotMetadata(index: 5, term: 2, confState: ConfState(voters: [3, 1], learners: [9])), data: [0xAB, 0xCD])
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    let payload = le(UInt64(5)) + le(UInt64(2)) + le(UInt32(2)) + le(UInt64(1)) + le(UInt64(3)) + le(UInt32(1))
      + le(UInt64(9)) + [0xAB, 0xCD]
    let expected = Array("swetsnap".utf8) + le(UInt32(1)) + le(CRC32C.checksum(payload)) + le(UInt64(payload.count)) + payload
    #expect(Snapshotter.encode(snapshot) == expected)
    #expect(try Snapshotter.decode(expected, path: "x") == snapshot)
  }

  @Test func aCorruptSnapFileOnDiskFallsBackToTheOlderOne() throws {
    let tmp = TempDir("snap")
    defer { tmp.remove() }
    let fs = PosixFileSystem()
    let snapDir = tmp.path + "/snap"
    try fs.createDirectory(snapDir, permissions: 0o700)
    let snapshotter = Snapshotter(fs: fs, directory: snapDir)
    for index in [10, 20] as [UInt64] {
      try snapshotter.save(Snapshot(metadata: SnapshotMetadata(index: index, term: 1), data: [UInt8(index)]))
    }
    let newest = snapDir + "/" + Snapshotter.fileName(term: 1, index: 20)
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: newest))
    let markers = [SnapshotMarker(index: 10, term: 1), SnapshotMarker(index: 20, term: 1)]
    let loaded = try snapshotter.loadNewest(matching: markers)
    #expect(loaded?.metadata.index == 10)
    #expect(try fs.exists(newest + ".broken"))
    // A snapshot without a WAL marker (crash between the file and the marker) is skipped, not broken.
    #expect(try snapshotter.loadNewest(matching: []) == nil)
  }
}
