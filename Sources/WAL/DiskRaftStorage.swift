// The glue the server uses: a data dir (locked, 0700) holding the WAL and snapshot files, recovered into a Raft
// MemoryStorage, and `persist(_:)` honouring the Ready contract (durable before it returns when mustSync).

import Raft

/// When to snapshot and how much log to keep (etcd's `--snapshot-count` and catch-up entries). Pure.
public struct SnapshotPolicy: Sendable, Hashable {
  /// Applied entries since the last snapshot that call for a new one (`--snapshot-count`, default 100000).
  public var snapshotCount: UInt64
  /// Entries kept in the Raft log behind a snapshot so slow followers catch up without one (5000).
  public var catchUpEntries: UInt64

  /// Creates a policy.
  public init(snapshotCount: UInt64 = 100_000, catchUpEntries: UInt64 = 5_000) {
    self.snapshotCount = snapshotCount
    self.catchUpEntries = catchUpEntries
  }

  /// True when `appliedIndex` is more than `snapshotCount` entries past `snapshotIndex`.
  public func shouldSnapshot(appliedIndex: LogIndex, snapshotIndex: LogIndex) -> Bool {
    appliedIndex > snapshotIndex && appliedIndex - snapshotIndex > snapshotCount
  }

  /// The index to compact the Raft log up to after a snapshot at `snapshotIndex` (nil: nothing to compact).
  public func compactionIndex(snapshotIndex: LogIndex) -> LogIndex? {
    snapshotIndex > catchUpEntries ? snapshotIndex - catchUpEntries : nil
  }
}

/// How a data dir is opened.
public struct DataDirOptions: Sendable {
  /// The WAL directory (`--wal-dir`); nil means `<data-dir>/member/wal`.
  public var walDirectory: String?
  /// WAL writing options (segment size, `--unsafe-no-fsync`).
  public var wal: WALOptions
  /// Snapshot files kept (`--max-snapshots`, default 5; 0 = keep all).
  public var maxSnapshots: Int
  /// WAL segments kept (`--max-wals`, default 5; 0 = keep all).
  public var maxWALs: Int
  /// When to snapshot and how much log to keep.
  public var policy: SnapshotPolicy

  /// Creates options.
  public init(
    walDirectory: String? = nil, wal: WALOptions = WALOptions(), maxSnapshots: Int = 5, maxWALs: Int = 5,
    policy: SnapshotPolicy = SnapshotPolicy()
  ) {
    self.walDirectory = walDirectory
    self.wal = wal
    self.maxSnapshots = maxSnapshots
    self.maxWALs = maxWALs
    self.policy = policy
  }
}

/// etcd's warning for an existing directory whose permissions differ from 0700 (exact text).
public func dataDirPermissionWarning(directory: String, permissions: UInt32, isDirectory: Bool = true) -> String {
  "directory \"\(directory)\" exist, but the permission is \"\(fileModeString(permissions, isDirectory: isDirectory))\". "
    + "The recommended permission is \"-rwx------\" to prevent possible unprivileged access to the data"
}

/// Go's os.FileMode string: "drwxr-xr-x", "-rwx------".
func fileModeString(_ permissions: UInt32, isDirectory: Bool) -> String {
  var out = isDirectory ? "d" : "-"
  for (i, c) in "rwxrwxrwx".enumerated() { out.append(permissions & (1 << (8 - UInt32(i))) != 0 ? c : "-") }
  return out
}

/// A data dir's durable Raft state: WAL + snapshot files, recovered into a `MemoryStorage` Raft reads from.
/// Not thread-safe: the server's Raft loop owns it.
public final class DiskRaftStorage {
  /// The Raft storage to give the node; kept in step by `persist` and `saveSnapshot`.
  public let storage: MemoryStorage
  /// Warnings to log (e.g. etcd's data-dir permission warning).
  public private(set) var warnings: [String] = []
  /// The torn WAL tail truncated during recovery, if any.
  public let tornTail: TornTail?
  /// True when the data dir was new (no WAL): the member bootstraps.
  public let isNew: Bool
  /// The member and cluster identity recorded in the WAL.
  public var metadata: WALMetadata { wal.metadata }
  /// The index of the newest snapshot.
  public private(set) var snapshotIndex: LogIndex

  let wal: WriteAheadLog
  let snapshotter: Snapshotter
  let options: DataDirOptions
  let lock: any FileLock

  /// The member directory layout.
  public static func memberDirectory(_ dataDir: String) -> String { dataDir + "/member" }

  /// Opens (or creates, recording `metadata`) the data dir: takes its lock (a second opener gets
  /// `WALError.locked`), loads the newest valid snapshot the WAL has a marker for, replays the WAL after it.
  public init(
    fs: any FileSystem, dataDirectory: String, metadata: WALMetadata, options: DataDirOptions = DataDirOptions(),
    log: (String) -> Void = { _ in }
  ) throws {
    self.options = options
    let dirMode = options.wal.directoryPermissions
    var warnings: [String] = []
    if let status = try fs.stat(dataDirectory) {
      if status.permissions != dirMode {
        warnings.append(dataDirPermissionWarning(directory: dataDirectory, permissions: status.permissions))
      }
    } else {
      try fs.createDirectories(dataDirectory, permissions: dirMode)
    }
    let member = Self.memberDirectory(dataDirectory)
    if try !fs.exists(member) { try fs.createDirectory(member, permissions: dirMode) }
    do {
      lock = try fs.lock(member + "/lock")
    } catch WALError.locked {
      throw WALError.locked(path: dataDirectory)
    }
    do {
      let snapDir = member + "/snap"
      if try !fs.exists(snapDir) { try fs.createDirectory(snapDir, permissions: dirMode) }
      snapshotter = Snapshotter(
        fs: fs, directory: snapDir, unsafeNoFsync: options.wal.unsafeNoFsync,
        filePermissions: options.wal.filePermissions)
      let walDir = options.walDirectory ?? member + "/wal"
      if try WriteAheadLog.exists(fs: fs, directory: walDir) {
        let markers = try WriteAheadLog.snapshotMarkers(fs: fs, directory: walDir)
        let snapshot = try snapshotter.loadNewest(matching: markers, log: log)
        let marker = SnapshotMarker(index: snapshot?.metadata.index ?? 0, term: snapshot?.metadata.term ?? 0)
        let (wal, recovery) = try WriteAheadLog.open(
          fs: fs, directory: walDir, at: marker, options: options.wal, log: log)
        self.wal = wal
        let memory = snapshot.map { MemoryStorage(snapshot: $0) } ?? MemoryStorage()
        memory.setHardState(recovery.hardState)
        try Self.storageCall { try memory.append(recovery.entries) }
        storage = memory
        tornTail = recovery.tornTail
        isNew = false
        snapshotIndex = marker.index
      } else {
        wal = try WriteAheadLog.create(fs: fs, directory: walDir, metadata: metadata, options: options.wal)
        storage = MemoryStorage()
        tornTail = nil
        isNew = true
        snapshotIndex = 0
      }
    } catch {
      lock.unlock()
      throw error
    }
    self.warnings = warnings
  }

  deinit { lock.unlock() }

  /// Runs a MemoryStorage call, turning its StorageError into a WALError.
  @discardableResult
  static func storageCall<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as WALError {
      throw error
    } catch {
      throw WALError.invalidArgument("Raft storage refused the recovered log: \(error)")
    }
  }

  /// Persists a Ready before its messages are sent: the snapshot (file, then WAL marker), the entries and hard
  /// state in one WAL write, fsynced once when `ready.mustSync`; then updates `storage`. Nothing is acknowledged
  /// before it is durable: call this, and only after it returns send `ready.messages`.
  public func persist(_ ready: Ready) throws {
    let snapshot = ready.snapshot.flatMap { $0.isEmpty ? nil : $0 }
    if let snapshot {
      try snapshotter.save(snapshot)
      try wal.saveSnapshotMarker(SnapshotMarker(index: snapshot.metadata.index, term: snapshot.metadata.term))
    }
    try wal.save(hardState: ready.hardState, entries: ready.entries, mustSync: ready.mustSync)
    if let snapshot {
      try Self.storageCall { try storage.applySnapshot(snapshot) }
      snapshotIndex = snapshot.metadata.index
    }
    if let hardState = ready.hardState { storage.setHardState(hardState) }
    try Self.storageCall { try storage.append(ready.entries) }
  }

  /// True when the policy calls for a snapshot at `appliedIndex`.
  public func shouldSnapshot(appliedIndex: LogIndex) -> Bool {
    options.policy.shouldSnapshot(appliedIndex: appliedIndex, snapshotIndex: snapshotIndex)
  }

  /// Takes a snapshot of the application state `data` at `appliedIndex`: snapshot file, WAL marker, then compacts
  /// the Raft log keeping the catch-up entries, and purges old WAL segments and snapshot files.
  @discardableResult
  public func saveSnapshot(appliedIndex: LogIndex, confState: ConfState?, data: [UInt8]) throws -> Snapshot {
    let snapshot = try Self.storageCall { try storage.createSnapshot(at: appliedIndex, confState: confState, data: data) }
    try snapshotter.save(snapshot)
    try wal.saveSnapshotMarker(SnapshotMarker(index: snapshot.metadata.index, term: snapshot.metadata.term))
    snapshotIndex = appliedIndex
    if let compact = options.policy.compactionIndex(snapshotIndex: appliedIndex), compact >= storage.firstIndex() {
      try Self.storageCall { try storage.compact(upTo: compact) }
    }
    try wal.purge(snapshotIndex: appliedIndex, maxSegments: options.maxWALs)
    try snapshotter.purge(keep: options.maxSnapshots)
    return snapshot
  }

  /// Syncs and closes the WAL and releases the data-dir lock.
  public func close() throws {
    defer { lock.unlock() }
    try wal.close()
  }
}
