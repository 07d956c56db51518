// The segmented write-ahead log: create, append (group commit), cut, snapshot markers, purge.
// Recovery (open) lives in WriteAheadLog+Recovery.swift.

import Raft

/// How a WAL writes.
public struct WALOptions: Sendable {
  /// Segment size: a segment is cut once its written part reaches this (64 MB, as etcd).
  public var segmentSize: Int
  /// Skip every fsync (tests only: an acknowledged write may be lost on power failure). See `unsafeNoFsyncWarning`.
  public var unsafeNoFsync: Bool
  /// Permission bits of new files.
  public var filePermissions: UInt32
  /// Permission bits of new directories.
  public var directoryPermissions: UInt32
  /// Told how long each fsync of the tail segment took (the server feeds etcd's
  /// `etcd_disk_wal_fsync_duration_seconds` from it). Runs on the WAL owner's thread: keep it cheap.
  public var fsyncObserver: (@Sendable (Duration) -> Void)?

  /// Creates options.
  public init(
    segmentSize: Int = 64 << 20, unsafeNoFsync: Bool = false, filePermissions: UInt32 = 0o600,
    directoryPermissions: UInt32 = 0o700
  ) {
    self.segmentSize = segmentSize
    self.unsafeNoFsync = unsafeNoFsync
    self.filePermissions = filePermissions
    self.directoryPermissions = directoryPermissions
  }

  /// The warning to log loudly at start-up when `unsafeNoFsync` is on.
  public static let unsafeNoFsyncWarning =
    "WARNING: --unsafe-no-fsync is set: the WAL and snapshots are never fsynced, so a power failure or kernel crash "
    + "can lose writes that clients were told succeeded, and can leave this member inconsistent with the cluster. "
    + "Use it for tests only, never in production."
}

/// A segmented, CRC-chained write-ahead log of Raft entries, hard states and snapshot markers.
/// Not thread-safe: one owner calls it (the server's Raft loop).
public final class WriteAheadLog {
  /// The WAL directory.
  public let directory: String
  /// The identity recorded at the start of every segment.
  public let metadata: WALMetadata
  let fs: any FileSystem
  let options: WALOptions
  /// Segments present, oldest first.
  var segments: [SegmentName]
  var tail: any WritableFile
  var tailOffset: Int
  var encoder: RecordEncoder
  /// Index of the last entry written.
  public private(set) var lastIndex: LogIndex
  /// The last hard state written.
  public private(set) var hardState: HardState
  var failure: String?
  /// File and directory fsyncs this log has issued (for benchmarks: group commit shows as fewer fsyncs).
  public internal(set) var fsyncCount = 0

  init(
    fs: any FileSystem, directory: String, options: WALOptions, metadata: WALMetadata, segments: [SegmentName],
    tail: any WritableFile, tailOffset: Int, crc: UInt32, lastIndex: LogIndex, hardState: HardState
  ) {
    self.fs = fs
    self.directory = directory
    self.options = options
    self.metadata = metadata
    self.segments = segments
    self.tail = tail
    self.tailOffset = tailOffset
    self.encoder = RecordEncoder(crc: crc)
    self.lastIndex = lastIndex
    self.hardState = hardState
  }

  deinit { tail.close() }

  /// The segment files present, oldest first.
  public var segmentNames: [SegmentName] { segments }

  /// True when `directory` holds at least one segment file.
  public static func exists(fs: any FileSystem, directory: String) throws -> Bool {
    guard let status = try fs.stat(directory), status.isDirectory else { return false }
    return try fs.listDirectory(directory).contains { $0.hasSuffix(".wal") }
  }

  /// Creates a new WAL at `directory` (which must not exist): it is built in `<directory>.tmp` and renamed into
  /// place, so a crash never leaves a half-made WAL. The first segment holds a CRC record, the metadata and an
  /// empty snapshot marker.
  public static func create(
    fs: any FileSystem, directory: String, metadata: WALMetadata, options: WALOptions = WALOptions()
  ) throws -> WriteAheadLog {
    if try exists(fs: fs, directory: directory) { throw WALError.alreadyExists(path: directory) }
    if try fs.exists(directory) {
      // An empty directory (e.g. made by hand or by an older run) is replaced; anything else is left alone.
      guard try fs.listDirectory(directory).isEmpty else { throw WALError.alreadyExists(path: directory) }
      try fs.remove(directory)
    }
    let temp = directory + ".tmp"
    try fs.removeTree(temp)
    let parent = parentDirectory(of: directory)
    try fs.createDirectories(parent, permissions: options.directoryPermissions)
    try fs.createDirectory(temp, permissions: options.directoryPermissions)
    let first = SegmentName(sequence: 0, firstIndex: 0)
    var encoder = RecordEncoder(crc: 0)
    encoder.crcRecord()
    encoder.metadata(metadata)
    encoder.snapshot(SnapshotMarker())
    let file = try fs.openForWriting(temp + "/" + first.fileName, create: true, permissions: options.filePermissions)
    defer { file.close() }
    try file.preallocate(to: options.segmentSize)
    try encoder.buffer.withUnsafeBytes { try file.write($0, at: 0) }
    try syncFile(file, options)
    if !options.unsafeNoFsync { try fs.syncDirectory(temp) }
    try fs.rename(temp, directory)
    if !options.unsafeNoFsync { try fs.syncDirectory(parent) }
    let tail = try fs.openForWriting(directory + "/" + first.fileName, create: false, permissions: options.filePermissions)
    return WriteAheadLog(
      fs: fs, directory: directory, options: options, metadata: metadata, segments: [first], tail: tail,
      tailOffset: encoder.buffer.count, crc: encoder.crc, lastIndex: 0, hardState: HardState())
  }

  static func syncFile(_ file: any WritableFile, _ options: WALOptions) throws {
    if !options.unsafeNoFsync { try file.sync() }
  }

  /// Appends `entries` (an entry with an index at or below the last replaces it and everything after, as a new
  /// leader's log does) and then `hardState` (nil or empty: not written) in ONE write; fsyncs (fdatasync) once when
  /// `mustSync`. When it returns with `mustSync`, everything is durable. A failed write makes the log unusable.
  public func save(hardState newState: HardState?, entries: [Entry], mustSync: Bool) throws {
    try checkUsable()
    let state = newState.flatMap { $0.isEmpty ? nil : $0 }
    if entries.isEmpty, state == nil { return }
    // Check the whole batch before encoding: encoding advances the running CRC, so a batch refused half-way would
    // leave it past records never written and every later save would fail its CRC on recovery.
    if let big = entries.first(where: { $0.data.count + RecordFormat.entryOverhead > RecordFormat.maxBodySize }) {
      throw WALError.invalidArgument("entry \(big.index) has \(big.data.count) bytes, above the WAL's limit")
    }
    encoder.reset()
    for entry in entries { encoder.entry(entry) }
    if let state { encoder.hardState(state) }
    try guarded {
      try writeBuffer()
      if let last = entries.last { lastIndex = last.index }
      if let state { hardState = state }
      if tailOffset >= options.segmentSize {
        try cut()
      } else if mustSync {
        try syncTail()
      }
    }
  }

  /// Records that a snapshot file for `marker` is complete (write the .snap first), and fsyncs.
  public func saveSnapshotMarker(_ marker: SnapshotMarker) throws {
    try checkUsable()
    encoder.reset()
    encoder.snapshot(marker)
    try guarded {
      try writeBuffer()
      if tailOffset >= options.segmentSize {
        try cut()
      } else {
        try syncTail()
      }
    }
  }

  /// Fsyncs the tail segment.
  public func sync() throws {
    try checkUsable()
    try guarded { try syncTail() }
  }

  /// Removes the oldest segments not needed to open at `snapshotIndex` (every segment from the last one whose first
  /// index is at or below it is kept), while more than `maxSegments` remain (0 = keep all). Returns removed names.
  @discardableResult
  public func purge(snapshotIndex: LogIndex, maxSegments: Int) throws -> [String] {
    guard maxSegments > 0 else { return [] }
    let needed = segments.lastIndex { $0.firstIndex <= snapshotIndex } ?? 0
    let count = min(needed, max(0, segments.count - maxSegments))
    guard count > 0 else { return [] }
    var removed: [String] = []
    for name in segments.prefix(count) {
      try fs.remove(directory + "/" + name.fileName)
      removed.append(name.fileName)
      segments.removeFirst()
    }
    if !options.unsafeNoFsync { try fs.syncDirectory(directory) }
    return removed
  }

  /// Closes the tail segment (after a final fsync). Further calls throw.
  public func close() throws {
    guard failure == nil else { return }
    defer {
      tail.close()
      failure = "the WAL is closed"
    }
    if !options.unsafeNoFsync { try tail.sync() }
  }

  // MARK: Internals

  func syncTail() throws {
    guard !options.unsafeNoFsync else { return }
    guard let observer = options.fsyncObserver else {
      try tail.dataSync()
      fsyncCount += 1
      return
    }
    let started = ContinuousClock.now
    try tail.dataSync()
    fsyncCount += 1
    observer(ContinuousClock.now - started)
  }

  func checkUsable() throws {
    if let failure { throw WALError.unusable(reason: failure) }
  }

  func guarded(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch {
      failure = "an earlier write to \(tail.path) failed (\(error))"
      throw error
    }
  }

  func writeBuffer() throws {
    try encoder.buffer.withUnsafeBytes { try tail.write($0, at: tailOffset) }
    tailOffset += encoder.buffer.count
  }

  /// Finishes the tail segment (truncated to its records, fsynced) and starts the next one: prepared as a temp
  /// file (CRC, metadata, hard state records; preallocated; fsynced), renamed into place, directory fsynced.
  func cut() throws {
    try tail.truncate(to: tailOffset)
    try Self.syncFile(tail, options)
    if !options.unsafeNoFsync { fsyncCount += 3 }
    let next = SegmentName(sequence: segments.last!.sequence + 1, firstIndex: lastIndex + 1)
    let path = directory + "/" + next.fileName
    let temp = path + ".tmp"
    if try fs.exists(temp) { try fs.remove(temp) }
    let file = try fs.openForWriting(temp, create: true, permissions: options.filePermissions)
    do {
      try file.preallocate(to: options.segmentSize)
      encoder.reset()
      encoder.crcRecord()
      encoder.metadata(metadata)
      encoder.hardState(hardState)
      try encoder.buffer.withUnsafeBytes { try file.write($0, at: 0) }
      try Self.syncFile(file, options)
      try fs.rename(temp, path)
      if !options.unsafeNoFsync { try fs.syncDirectory(directory) }
    } catch {
      file.close()
      throw error
    }
    file.close()
    tail.close()
    tail = try fs.openForWriting(path, create: false, permissions: options.filePermissions)
    tailOffset = encoder.buffer.count
    segments.append(next)
  }
}
