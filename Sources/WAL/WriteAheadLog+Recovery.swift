// Opening a WAL: list and check the segments, replay records from the segment holding the snapshot, repair a torn
// tail of the last segment, refuse anything else that is damaged.

import Raft

/// Where a torn tail was cut off.
public struct TornTail: Sendable, Hashable, CustomStringConvertible {
  /// The segment file.
  public var file: String
  /// The byte offset the segment was truncated to (the end of its last valid record).
  public var offset: Int
  /// Why the bytes after it were not a record.
  public var reason: String

  public var description: String {
    "WAL: torn write at the end of \(file) (byte offset \(offset): \(reason)); truncated to the last complete "
      + "record (nothing acknowledged is lost: those bytes were never fsynced)"
  }
}

/// What recovery found.
public struct WALRecovery: Sendable {
  /// The member and cluster identity.
  public var metadata: WALMetadata
  /// The last hard state written.
  public var hardState: HardState
  /// The entries after the snapshot, in index order (later writes of an index replace earlier ones).
  public var entries: [Entry]
  /// The torn tail that was truncated, if any.
  public var tornTail: TornTail?
}

/// The result of reading segments.
struct ScanResult {
  var lastCRC: UInt32
  var tailEnd: Int
  var torn: TornTail?
}

extension WriteAheadLog {
  /// Opens the WAL at `directory` for appending, replaying it from the marker of `snapshot` (index 0: from the
  /// start). A torn tail of the last segment is truncated (and passed to `log`); any other damage throws a
  /// `WALError` naming file, offset and remedy.
  public static func open(
    fs: any FileSystem, directory: String, at snapshot: SnapshotMarker = SnapshotMarker(),
    options: WALOptions = WALOptions(), log: (String) -> Void = { _ in }
  ) throws -> (WriteAheadLog, WALRecovery) {
    let all = try listSegments(fs: fs, directory: directory, removeTemporaries: true)
    guard let start = all.lastIndex(where: { $0.firstIndex <= snapshot.index }) else {
      throw WALError.snapshotNotFound(directory: directory, index: snapshot.index, term: snapshot.term)
    }
    let used = Array(all[start...])
    try checkSequence(used, directory: directory)
    var replay = Replay(snapshot: snapshot)
    let scan = try scan(fs: fs, directory: directory, segments: used) { record, file, offset in
      try replay.visit(record, file: file, offset: offset)
    }
    guard replay.foundSnapshot else {
      throw WALError.snapshotNotFound(directory: directory, index: snapshot.index, term: snapshot.term)
    }
    guard let metadata = replay.metadata else {
      throw WALError.corrupt(file: directory + "/" + used[0].fileName, offset: 0, reason: "no metadata record")
    }
    if let torn = scan.torn { log(torn.description) }
    let tailPath = directory + "/" + used.last!.fileName
    let tail = try fs.openForWriting(tailPath, create: false, permissions: options.filePermissions)
    // Drop whatever follows the last valid record and re-reserve zeroed space, durably, before appending.
    try tail.truncate(to: scan.tailEnd)
    try tail.preallocate(to: options.segmentSize)
    try syncFile(tail, options)
    let wal = WriteAheadLog(
      fs: fs, directory: directory, options: options, metadata: metadata, segments: all, tail: tail,
      tailOffset: scan.tailEnd, crc: scan.lastCRC, lastIndex: replay.entries.last?.index ?? snapshot.index,
      hardState: replay.hardState)
    let recovery = WALRecovery(
      metadata: metadata, hardState: replay.hardState, entries: replay.entries, tornTail: scan.torn)
    return (wal, recovery)
  }

  /// Every snapshot marker in the WAL whose index is committed by the last hard state (the snapshots it is safe to
  /// start from), plus that hard state. Read-only: a torn tail is ignored, not repaired.
  public static func snapshotMarkers(fs: any FileSystem, directory: String) throws -> [SnapshotMarker] {
    let all = try listSegments(fs: fs, directory: directory, removeTemporaries: false)
    guard !all.isEmpty else { throw WALError.notFound(path: directory) }
    try checkSequence(all, directory: directory)
    var markers: [SnapshotMarker] = []
    var state = HardState()
    _ = try scan(fs: fs, directory: directory, segments: all) { record, _, _ in
      switch record {
      case .snapshot(let marker): markers.append(marker)
      case .hardState(let h): state = h
      default: break
      }
    }
    return markers.filter { $0.index <= state.commit }
  }

  /// Segment names in `directory`, oldest first. Stale `.wal.tmp` files (an interrupted cut) are removed when asked.
  static func listSegments(fs: any FileSystem, directory: String, removeTemporaries: Bool) throws -> [SegmentName] {
    guard try fs.stat(directory)?.isDirectory == true else { throw WALError.notFound(path: directory) }
    var names: [SegmentName] = []
    for file in try fs.listDirectory(directory) {
      if file.hasSuffix(".wal.tmp") {
        if removeTemporaries { try fs.remove(directory + "/" + file) }
        continue
      }
      guard file.hasSuffix(".wal") else { continue }
      guard let name = SegmentName(fileName: file) else {
        throw WALError.badSegmentSet(directory: directory, reason: "\(file) is not a segment name (%016x-%016x.wal)")
      }
      names.append(name)
    }
    guard !names.isEmpty else { throw WALError.notFound(path: directory) }
    return names.sorted()
  }

  /// Sequence numbers must be consecutive. (First indexes may go down: a new leader can shorten the log before
  /// a cut.)
  static func checkSequence(_ names: [SegmentName], directory: String) throws {
    for (a, b) in zip(names, names.dropFirst()) {
      if b.sequence != a.sequence + 1 {
        throw WALError.badSegmentSet(
          directory: directory, reason: "segment sequence jumps from \(a.fileName) to \(b.fileName) (a segment is missing)")
      }
    }
  }

  /// Reads the records of `segments` in order, checking the CRC chain across them; the last segment may end in a
  /// torn tail (reported, not an error); anything else wrong throws `WALError.corrupt`.
  static func scan(
    fs: any FileSystem, directory: String, segments: [SegmentName],
    visit: (Record, String, Int) throws -> Void
  ) throws -> ScanResult {
    var running: UInt32? = nil
    var result = ScanResult(lastCRC: 0, tailEnd: 0, torn: nil)
    for (position, name) in segments.enumerated() {
      let path = directory + "/" + name.fileName
      let isLast = position == segments.count - 1
      let bytes = try fs.readFile(path)
      let segmentEnd = try bytes.withUnsafeBytes { raw -> (end: Int, torn: TornTail?) in
        var offset = 0
        while true {
          // The decoder checks the chain, across segments too: a segment's CRC record must carry `running`.
          switch RecordDecoder.read(raw, at: offset, running: running) {
          case let .record(record, crc, next):
            if offset == 0 {
              guard case .crc = record else {
                throw WALError.corrupt(file: path, offset: 0, reason: "the segment does not begin with a CRC record")
              }
            }
            try visit(record, path, offset)
            running = crc
            offset = next
          case .end:
            if offset == 0 { throw WALError.corrupt(file: path, offset: 0, reason: "the segment holds no records") }
            if let from = firstNonZero(raw, from: offset) {
              guard isLast else {
                throw WALError.corrupt(file: path, offset: offset, reason: "data after the end-of-records marker")
              }
              return (offset, TornTail(file: path, offset: offset, reason: "unwritten sector before data at \(from)"))
            }
            return (offset, nil)
          case .problem(let problem):
            if isLast, offset > 0, let reason = tornReason(problem, raw, offset) {
              return (offset, TornTail(file: path, offset: offset, reason: reason))
            }
            throw WALError.corrupt(file: path, offset: offset, reason: describe(problem))
          }
        }
      }
      result.tailEnd = segmentEnd.end
      result.torn = segmentEnd.torn
    }
    result.lastCRC = running ?? 0
    return result
  }

  /// Why `problem` at `offset` of the last segment is a torn write, or nil when it is corruption.
  static func tornReason(_ problem: FrameProblem, _ raw: UnsafeRawBufferPointer, _ offset: Int) -> String? {
    switch problem {
    case .cutShort: return "record cut short by the end of the file"
    case .crcMismatch(torn: true): return "record with an all-zero 512-byte sector (write never reached it)"
    case .crcMismatch(torn: false):
      let length = Int(raw.u32(offset))
      let end = offset + RecordFormat.frameSize(bodyLength: length)
      return firstNonZero(raw, from: end) == nil ? "last record fails its CRC and nothing follows it" : nil
    default: return nil
    }
  }

  static func describe(_ problem: FrameProblem) -> String {
    switch problem {
    case .cutShort: return "record runs past the end of the file"
    case .impossibleLength(let n): return "impossible record length \(n)"
    case .crcMismatch: return "CRC mismatch"
    case let .chainBreak(expected, found): return "CRC chain broken (expected \(expected), found \(found))"
    case .undecodable(let what): return "undecodable record (\(what))"
    }
  }

  /// The offset of the first non-zero byte at or after `from` (8 bytes at a time: a preallocated tail is large).
  static func firstNonZero(_ raw: UnsafeRawBufferPointer, from: Int) -> Int? {
    var i = from
    while i + 8 <= raw.count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8 }
    while i < raw.count {
      if raw[i] != 0 { return i }
      i += 1
    }
    return nil
  }
}

/// Replays records into the recovered state.
struct Replay {
  let snapshot: SnapshotMarker
  var foundSnapshot: Bool
  var metadata: WALMetadata?
  var hardState = HardState()
  var entries: [Entry] = []

  init(snapshot: SnapshotMarker) {
    self.snapshot = snapshot
    foundSnapshot = snapshot.index == 0
  }

  mutating func visit(_ record: Record, file: String, offset: Int) throws {
    switch record {
    case .metadata(let m):
      if let metadata, metadata != m {
        throw WALError.corrupt(file: file, offset: offset, reason: "metadata \(m) conflicts with \(metadata)")
      }
      metadata = m
    case .entry(let e):
      guard e.index > snapshot.index else {
        // Covered by the snapshot, but writing it replaced everything after it (a new leader's log).
        entries.removeAll(keepingCapacity: true)
        return
      }
      let position = Int(e.index - snapshot.index - 1)
      if position > entries.count {
        throw WALError.corrupt(
          file: file, offset: offset,
          reason: "index gap: entry \(e.index) follows entry \(snapshot.index + UInt64(entries.count))")
      }
      if position > 0, e.term < entries[position - 1].term {
        throw WALError.corrupt(
          file: file, offset: offset,
          reason: "entry \(e.index) has term \(e.term), below the term \(entries[position - 1].term) before it")
      }
      if position < entries.count {
        if e.index <= hardState.commit, entries[position] != e {
          throw WALError.corrupt(
            file: file, offset: offset, reason: "entry \(e.index) rewrites a committed entry (commit \(hardState.commit))")
        }
        entries.removeSubrange(position...)
      }
      entries.append(e)
    case .hardState(let h):
      hardState = h
    case .snapshot(let marker):
      if marker.index == snapshot.index, snapshot.index > 0 {
        if marker.term != snapshot.term {
          throw WALError.corrupt(
            file: file, offset: offset,
            reason: "snapshot marker at index \(marker.index) has term \(marker.term), the snapshot has \(snapshot.term)")
        }
        foundSnapshot = true
      }
    case .crc:
      break
    }
  }
}
