import Foundation
import Raft
import Testing

@testable import WAL

extension DiskRaftStorage: CrashTarget {
  func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
    try persist(Ready(hardState: hardState, entries: entries, mustSync: mustSync))
  }

  func snapshot(_ marker: SnapshotMarker) throws {
    try saveSnapshot(appliedIndex: marker.index, confState: ConfState(voters: [1]), data: Array("snap-\(marker.index)".utf8))
  }
}

@Suite struct DiskRaftStorageTests {
  static let dataDir = "/srv/node.etcd"
  static let meta = WALMetadata(memberID: 1, clusterID: 2)
  /// Small segments, frequent snapshots, tight retention, few catch-up entries: every path runs often.
  static let options = DataDirOptions(
    wal: WALOptions(segmentSize: 4096), maxSnapshots: 2, maxWALs: 2, policy: SnapshotPolicy(snapshotCount: 10, catchUpEntries: 3))

  func open(_ fs: any FileSystem, _ dir: String = dataDir) throws -> DiskRaftStorage {
    try DiskRaftStorage(fs: fs, dataDirectory: dir, metadata: Self.meta, options: Self.options)
  }

  @Test func crashesDuringAppendsSnapshotsPurgeAndCompactionKeepEveryAcknowledgedEntry() throws {
    var checked = 0
    for seed in UInt64(1)...600 {
      var pick = SplitMix64(seed: seed ^ 0x5EED)
      let fs = SimulatedFileSystem(seed: seed)
      fs.scheduleCrash(afterOperations: 1 + Int(pick.next() % 160))
      var workload = CrashWorkload(seed: seed, start: ModelState(entries: [], hardState: HardState()))
      var created = false
      do {
        let disk = try open(fs)
        created = true
        _ = workload.run(disk, batches: 40)
      } catch {}
      let after = fs.crash()
      let disk: DiskRaftStorage
      do {
        disk = try open(after)
      } catch {
        Issue.record("seed \(seed): recovery refused: \(error)")
        continue
      }
      checked += 1
      let storage = disk.storage
      let snapshot = try storage.snapshot()
      #expect(snapshot.metadata.index >= workload.marker.index, "seed \(seed): durable snapshot lost")
      if !snapshot.isEmpty { #expect(snapshot.data == Array("snap-\(snapshot.metadata.index)".utf8), "seed \(seed)") }
      let first = storage.firstIndex(), last = storage.lastIndex()
      let stored = last >= first ? try storage.entries(from: first, to: last + 1, maxSize: .max) : []
      let match = workload.candidates().contains { c in
        UInt64(c.entries.count) == last && Array(c.entries.suffix(Int(last) - Int(first) + 1)) == stored
          && c.hardState == storage.hardState
      }
      #expect(match || (!created && workload.history.count == 1), "seed \(seed): recovered \(first)...\(last) hs \(storage.hardState) is no allowed state")
    }
    #expect(checked == 600)
  }

  @Test func persistUpdatesMemoryStorageAndSurvivesReopen() throws {
    let fs = SimulatedFileSystem(seed: 1)
    let disk = try open(fs)
    #expect(disk.isNew)
    let ents = (1...30).map { Entry(term: 1, index: UInt64($0), data: [UInt8](repeating: 3, count: 200)) }
    try disk.persist(Ready(hardState: HardState(term: 1, vote: 1, commit: 30), entries: ents, mustSync: true))
    #expect(disk.storage.lastIndex() == 30)
    #expect(disk.shouldSnapshot(appliedIndex: 30))
    try disk.saveSnapshot(appliedIndex: 30, confState: ConfState(voters: [1]), data: [9])
    #expect(!disk.shouldSnapshot(appliedIndex: 35))
    #expect(disk.storage.firstIndex() == 28)  // compacted to 30 - 3 catch-up entries
    try disk.close()
    let reopened = try open(fs)
    #expect(!reopened.isNew)
    #expect(try reopened.storage.snapshot().metadata.index == 30)
    #expect(try reopened.storage.snapshot().data == [9])
    #expect(reopened.storage.hardState == HardState(term: 1, vote: 1, commit: 30))
    #expect(reopened.storage.lastIndex() == 30)
  }

  @Test func aSnapshotFromTheLeaderIsPersistedBeforeEntriesAfterIt() throws {
    let fs = SimulatedFileSystem(seed: 2)
    let disk = try open(fs)
    let snap = Snapshot(metadata: SnapshotMetadata(index: 50, term: 3, confState: ConfState(voters: [1, 2, 3])), data: [1, 2])
    try disk.persist(Ready(hardState: HardState(term: 3, commit: 50), snapshot: snap, mustSync: true))
    try disk.persist(Ready(hardState: HardState(term: 3, commit: 51), entries: [Entry(term: 3, index: 51)], mustSync: true))
    let reopened = try open(fs.crash())
    #expect(try reopened.storage.snapshot() == snap)
    #expect(reopened.storage.lastIndex() == 51)
    #expect(reopened.storage.initialState().1 == ConfState(voters: [1, 2, 3]))
  }

  @Test func aCorruptNewestSnapshotIsRenamedBrokenAndTheOlderOneUsed() throws {
    let fs = SimulatedFileSystem(seed: 3)
    let disk = try open(fs)
    let ents = (1...40).map { Entry(term: 1, index: UInt64($0), data: [7]) }
    try disk.persist(Ready(hardState: HardState(term: 1, commit: 40), entries: ents, mustSync: true))
    try disk.saveSnapshot(appliedIndex: 20, confState: nil, data: [20])
    try disk.saveSnapshot(appliedIndex: 40, confState: nil, data: [40])
    try disk.close()
    let newest = Self.dataDir + "/member/snap/" + Snapshotter.fileName(term: 1, index: 40)
    try fs.flipBit(newest, offset: 30, bit: 2)
    var logged: [String] = []
    let reopened = try DiskRaftStorage(fs: fs, dataDirectory: Self.dataDir, metadata: Self.meta, options: Self.options) {
      logged.append($0)
    }
    #expect(try reopened.storage.snapshot().metadata.index == 20)
    #expect(reopened.storage.lastIndex() == 40)
    #expect(try fs.exists(newest + ".broken"))
    #expect(logged.contains { $0.contains(newest) && $0.contains("corrupt") })
  }

  @Test func purgeKeepsTheNewestSnapshotsAndTheSegmentsAfterTheLastOne() throws {
    let fs = SimulatedFileSystem(seed: 4)
    let disk = try open(fs)
    for i in UInt64(1)...120 {
      try disk.persist(Ready(hardState: HardState(term: 1, commit: i), entries: [Entry(term: 1, index: i, data: [UInt8](repeating: 1, count: 200))], mustSync: true))
      if i % 20 == 0 { try disk.saveSnapshot(appliedIndex: i, confState: nil, data: []) }
    }
    let snaps = try fs.listDirectory(Self.dataDir + "/member/snap").filter { $0.hasSuffix(".snap") }.sorted()
    #expect(snaps == [Snapshotter.fileName(term: 1, index: 100), Snapshotter.fileName(term: 1, index: 120)])
    let segments = try fs.listDirectory(Self.dataDir + "/member/wal").compactMap(SegmentName.init(fileName:)).sorted()
    #expect(segments.count <= 3)
    #expect(segments.first!.firstIndex <= 120)
    let reopened = try open(fs.crash())
    #expect(reopened.storage.lastIndex() == 120)
  }

  @Test func aSecondOpenOfTheSameDataDirIsRefusedNamingTheDir() throws {
    let fs = SimulatedFileSystem(seed: 5)
    let first = try open(fs)
    #expect(throws: WALError.locked(path: Self.dataDir)) { _ = try open(fs) }
    #expect("\(WALError.locked(path: Self.dataDir))".contains("\(Self.dataDir) is in use by another process"))
    try first.close()
    _ = try open(fs)
  }

  @Test func aSecondOpenOnTheRealFileSystemIsRefusedByTheLock() throws {
    let tmp = TempDir("lock")
    defer { tmp.remove() }
    let dir = tmp.path + "/data"
    let first = try DiskRaftStorage(fs: PosixFileSystem(), dataDirectory: dir, metadata: Self.meta, options: DataDirOptions(wal: WALOptions(segmentSize: 1 << 16)))
    #expect(throws: WALError.locked(path: dir)) {
      _ = try DiskRaftStorage(fs: PosixFileSystem(), dataDirectory: dir, metadata: Self.meta)
    }
    // New directories are 0700 and files 0600.
    #expect(try PosixFileSystem().stat(dir)!.permissions == 0o700)
    let walFile = try PosixFileSystem().listDirectory(dir + "/member/wal").first!
    #expect(try PosixFileSystem().stat(dir + "/member/wal/" + walFile)!.permissions == 0o600)
    try first.close()
  }

  @Test func anExistingDataDirWithWiderPermissionsGetsEtcdsWarning() throws {
    let fs = SimulatedFileSystem(seed: 6)
    try fs.createDirectories(Self.dataDir, permissions: 0o755)
    let disk = try open(fs)
    #expect(disk.warnings == [
      "directory \"/srv/node.etcd\" exist, but the permission is \"drwxr-xr-x\". The recommended permission is \"-rwx------\" to prevent possible unprivileged access to the data"
    ])
    try disk.close()
    try fs.setPermissions(Self.dataDir, 0o700)
    #expect(try open(fs).warnings.isEmpty)
  }

  @Test func snapshotPolicyFollowsSnapshotCountAndCatchUpEntries() {
    let policy = SnapshotPolicy()
    #expect(policy.snapshotCount == 100_000 && policy.catchUpEntries == 5_000)
    #expect(!policy.shouldSnapshot(appliedIndex: 100_000, snapshotIndex: 0))
    #expect(policy.shouldSnapshot(appliedIndex: 100_001, snapshotIndex: 0))
    #expect(policy.compactionIndex(snapshotIndex: 5_000) == nil)
    #expect(policy.compactionIndex(snapshotIndex: 100_001) == 95_001)
  }
}
