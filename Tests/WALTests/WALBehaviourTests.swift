import Raft
import Testing

@testable import WAL

@Suite struct WALBehaviourTests {
  static let dir = "/d/member/wal"
  static let meta = WALMetadata(memberID: 7, clusterID: 9)

  func entries(_ range: ClosedRange<UInt64>, term: UInt64 = 1, size: Int = 10) -> [Entry] {
    range.map { Entry(term: term, index: $0, data: [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: size)) }
  }

  @Test func savedEntriesAndHardStateAreRecoveredAfterReopen() throws {
    let fs = SimulatedFileSystem(seed: 1)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 8192))
    try wal.save(hardState: HardState(term: 1, vote: 2, commit: 3), entries: entries(1...5), mustSync: true)
    try wal.close()
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: WALOptions(segmentSize: 8192))
    #expect(recovery.metadata == Self.meta)
    #expect(recovery.hardState == HardState(term: 1, vote: 2, commit: 3))
    #expect(recovery.entries == entries(1...5))
    #expect(recovery.tornTail == nil)
  }

  @Test func laterEntriesWithTheSameIndexReplaceEarlierOnes() throws {
    let fs = SimulatedFileSystem(seed: 2)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 8192))
    try wal.save(hardState: HardState(term: 1, commit: 2), entries: entries(1...5), mustSync: true)
    try wal.save(hardState: HardState(term: 2, commit: 2), entries: entries(3...4, term: 2), mustSync: true)
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: WALOptions(segmentSize: 8192))
    #expect(recovery.entries == entries(1...2) + entries(3...4, term: 2))
  }

  @Test func segmentsAreCutAtTheSizeLimitAndNamedBySequenceAndFirstIndex() throws {
    let fs = SimulatedFileSystem(seed: 3)
    let options = WALOptions(segmentSize: 4096)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: options)
    for i in UInt64(1)...40 { try wal.save(hardState: HardState(term: 1, commit: i), entries: entries(i...i, size: 300), mustSync: true) }
    let names = try fs.listDirectory(Self.dir).sorted()
    #expect(names.count > 2)
    #expect(names.first == "0000000000000000-0000000000000000.wal")
    #expect(names.allSatisfy { SegmentName(fileName: $0) != nil })
    let parsed = names.compactMap(SegmentName.init(fileName:))
    #expect(parsed.map(\.sequence) == Array(0..<UInt64(parsed.count)))
    // A finished segment is truncated to its records; the tail stays preallocated.
    #expect(try fs.stat(Self.dir + "/" + names[0])!.size < 4096 + 400)
    #expect(try fs.stat(Self.dir + "/" + names.last!)!.size == 4096)
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: options)
    #expect(recovery.entries == entries(1...40, size: 300))
    #expect(recovery.hardState.commit == 40)
  }

  @Test func openAtASnapshotMarkerReturnsOnlyLaterEntries() throws {
    let fs = SimulatedFileSystem(seed: 4)
    let options = WALOptions(segmentSize: 4096)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: options)
    for i in UInt64(1)...30 { try wal.save(hardState: HardState(term: 1, commit: i), entries: entries(i...i, size: 300), mustSync: true) }
    try wal.saveSnapshotMarker(SnapshotMarker(index: 20, term: 1))
    let removed = try wal.purge(snapshotIndex: 20, maxSegments: 1)
    #expect(!removed.isEmpty)
    try wal.save(hardState: nil, entries: entries(31...32, size: 300), mustSync: true)
    #expect(try WriteAheadLog.snapshotMarkers(fs: fs, directory: Self.dir).contains(SnapshotMarker(index: 20, term: 1)))
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, at: SnapshotMarker(index: 20, term: 1), options: options)
    #expect(recovery.entries == entries(21...32, size: 300))
    #expect(throws: WALError.self) {
      _ = try WriteAheadLog.open(fs: fs, directory: Self.dir, at: SnapshotMarker(index: 25, term: 1), options: options)
    }
  }

  @Test func unsyncedWritesMayBeLostButSyncedOnesSurviveACrash() throws {
    for seed in UInt64(1)...50 {
      let fs = SimulatedFileSystem(seed: seed)
      let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 8192))
      try wal.save(hardState: HardState(term: 1, commit: 1), entries: entries(1...3, size: 700), mustSync: true)
      try wal.save(hardState: HardState(term: 1, commit: 3), entries: entries(4...6, size: 700), mustSync: false)
      let (_, recovery) = try WriteAheadLog.open(fs: fs.crash(), directory: Self.dir, options: WALOptions(segmentSize: 8192))
      #expect(Array(recovery.entries.prefix(3)) == entries(1...3, size: 700), "seed \(seed)")
      #expect(recovery.entries == Array(entries(1...6, size: 700).prefix(recovery.entries.count)), "seed \(seed)")
    }
  }

  @Test func aTornTailIsTruncatedAndReportedWithFileAndOffset() throws {
    let fs = SimulatedFileSystem(seed: 5)
    let options = WALOptions(segmentSize: 8192)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: options)
    try wal.save(hardState: HardState(term: 1, commit: 1), entries: entries(1...2, size: 100), mustSync: true)
    let end = wal.tailOffset
    try wal.save(hardState: nil, entries: entries(3...3, size: 1200), mustSync: true)
    // Zero the record's middle sector: the write "never reached" it.
    let file = Self.dir + "/" + SegmentName(sequence: 0, firstIndex: 0).fileName
    try fs.overwriteAtRest(file, offset: (end / 512 + 1) * 512, with: [UInt8](repeating: 0, count: 512))
    var logged: [String] = []
    let (reopened, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: options) { logged.append($0) }
    #expect(recovery.entries == entries(1...2, size: 100))
    #expect(recovery.tornTail?.offset == end)
    #expect(recovery.tornTail?.file == file)
    #expect(logged.count == 1 && logged[0].contains(file) && logged[0].contains("\(end)"))
    // Appending after the repair works and survives another reopen.
    try reopened.save(hardState: nil, entries: entries(3...3, term: 2), mustSync: true)
    let (_, again) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: options)
    #expect(again.entries == entries(1...2, size: 100) + entries(3...3, term: 2))
    #expect(again.tornTail == nil)
  }

  @Test func creatingOverAnExistingWALIsRefused() throws {
    let fs = SimulatedFileSystem(seed: 6)
    _ = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 4096))
    #expect(throws: WALError.alreadyExists(path: Self.dir)) {
      _ = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 4096))
    }
  }

  @Test func aCrashDuringCreationLeavesNoWALOrAWholeOne() throws {
    for crashAt in 1...12 {
      let fs = SimulatedFileSystem(seed: UInt64(crashAt))
      fs.scheduleCrash(afterOperations: crashAt)
      _ = try? WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 4096))
      let after = fs.crash()
      if try WriteAheadLog.exists(fs: after, directory: Self.dir) {
        let (_, recovery) = try WriteAheadLog.open(fs: after, directory: Self.dir, options: WALOptions(segmentSize: 4096))
        #expect(recovery.metadata == Self.meta)
      } else {
        // A fresh create succeeds over whatever half-made temp directory is left.
        _ = try WriteAheadLog.create(fs: after, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 4096))
      }
    }
  }

  @Test func unsafeNoFsyncIssuesNoFsyncAndHasAWarning() throws {
    let fs = SimulatedFileSystem(seed: 8)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 4096, unsafeNoFsync: true))
    let before = fs.syncCount
    for i in UInt64(1)...20 { try wal.save(hardState: nil, entries: entries(i...i, size: 300), mustSync: true) }
    #expect(fs.syncCount == before)
    #expect(WALOptions.unsafeNoFsyncWarning.contains("--unsafe-no-fsync"))
  }

  @Test func groupCommitIssuesOneFsyncPerBatch() throws {
    let fs = SimulatedFileSystem(seed: 9)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 1 << 20))
    let before = fs.syncCount
    try wal.save(hardState: HardState(term: 1, commit: 100), entries: entries(1...100), mustSync: true)
    #expect(fs.syncCount == before + 1)
    try wal.save(hardState: HardState(term: 1, commit: 100), entries: [], mustSync: false)
    #expect(fs.syncCount == before + 1)
  }

  @Test func aRefusedOversizedBatchLeavesTheCRCChainIntactForLaterSaves() throws {
    let fs = SimulatedFileSystem(seed: 11)
    let options = WALOptions(segmentSize: 8192)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: options)
    // Uninitialized (never touched) bytes: only the count matters, the batch is refused before encoding.
    let tooBig = [UInt8](unsafeUninitializedCapacity: RecordFormat.maxBodySize) { _, count in
      count = RecordFormat.maxBodySize
    }
    #expect(throws: WALError.self) {
      try wal.save(hardState: nil, entries: entries(1...1) + [Entry(term: 1, index: 2, data: tooBig)], mustSync: true)
    }
    try wal.save(hardState: HardState(term: 1, commit: 1), entries: entries(1...1), mustSync: true)
    let (_, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, options: options)
    #expect(recovery.entries == entries(1...1))
    #expect(recovery.hardState == HardState(term: 1, commit: 1))
    #expect(recovery.tornTail == nil)
  }

  @Test func aFailedWriteMakesTheLogUnusableUntilReopened() throws {
    let fs = SimulatedFileSystem(seed: 10)
    let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: Self.meta, options: WALOptions(segmentSize: 8192))
    fs.scheduleCrash(afterOperations: 1)
    #expect(throws: WALError.simulatedCrash(path: Self.dir + "/" + SegmentName(sequence: 0, firstIndex: 0).fileName)) {
      try wal.save(hardState: nil, entries: entries(1...1), mustSync: true)
    }
    do {
      try wal.save(hardState: nil, entries: entries(1...1), mustSync: true)
      Issue.record("a WAL whose write failed accepted another write")
    } catch let error as WALError {
      guard case .unusable = error else { Issue.record("unexpected \(error)"); return }
      #expect("\(error)".contains("restart"))
    }
  }
}
