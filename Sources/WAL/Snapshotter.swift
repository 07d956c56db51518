// Raft snapshot files: "%016x-%016x.snap" (term-index), written atomically with a CRC; the newest valid one that
// the WAL has a marker for is loaded; a corrupt one is renamed ".broken" and the next older one is tried.

import Checksum
import Raft

/// Reads and writes Raft snapshot files in one directory.
public final class Snapshotter: Sendable {
  /// The snapshot directory (`<data-dir>/member/snap`).
  public let directory: String
  let fs: any FileSystem
  let unsafeNoFsync: Bool
  let filePermissions: UInt32

  static let magic: [UInt8] = Array("swetsnap".utf8)
  static let version: UInt32 = 1
  static let headerSize = 24

  /// Creates a snapshotter on `directory` (which must exist).
  public init(fs: any FileSystem, directory: String, unsafeNoFsync: Bool = false, filePermissions: UInt32 = 0o600) {
    self.fs = fs
    self.directory = directory
    self.unsafeNoFsync = unsafeNoFsync
    self.filePermissions = filePermissions
  }

  /// The file name of a snapshot.
  public static func fileName(term: Term, index: LogIndex) -> String { hex16(term) + "-" + hex16(index) + ".snap" }

  /// Writes `snapshot` atomically (temp file, fsync, rename, directory fsync).
  public func save(_ snapshot: Snapshot) throws {
    guard !snapshot.isEmpty else { throw WALError.invalidArgument("an empty snapshot (index 0) cannot be saved") }
    let name = Self.fileName(term: snapshot.metadata.term, index: snapshot.metadata.index)
    try fs.writeAtomically(
      directory + "/" + name, Self.encode(snapshot), permissions: filePermissions, sync: !unsafeNoFsync)
  }

  /// The snapshot files present as (name, term, index), oldest first.
  public func files() throws -> [(name: String, term: Term, index: LogIndex)] {
    var out: [(name: String, term: Term, index: LogIndex)] = []
    for name in try fs.listDirectory(directory) where name.hasSuffix(".snap") {
      let bytes = Array(name.utf8)
      guard bytes.count == 38, bytes[16] == UInt8(ascii: "-"), let term = parseHex16(bytes[0..<16]),
        let index = parseHex16(bytes[17..<33])
      else { continue }
      out.append((name, term, index))
    }
    return out.sorted { ($0.term, $0.index) < ($1.term, $1.index) }
  }

  /// The newest snapshot that decodes cleanly and whose (index, term) is in `markers`; nil when there is none.
  /// Corrupt candidates are renamed `<name>.broken` (reported through `log`) and the next older one is tried.
  public func loadNewest(matching markers: [SnapshotMarker], log: (String) -> Void = { _ in }) throws -> Snapshot? {
    let wanted = Set(markers)
    for file in try files().reversed() where wanted.contains(SnapshotMarker(index: file.index, term: file.term)) {
      let path = directory + "/" + file.name
      do {
        let snapshot = try Self.decode(try fs.readFile(path), path: path)
        guard snapshot.metadata.index == file.index, snapshot.metadata.term == file.term else {
          throw WALError.corruptSnapshot(file: path, reason: "its content is for a different index or term")
        }
        return snapshot
      } catch let error as WALError {
        guard case .corruptSnapshot = error else { throw error }
        log("\(error)")
        try fs.rename(path, path + ".broken")
      }
    }
    return nil
  }

  /// Removes the oldest snapshot files while more than `keep` remain (0 = keep all); the newest always stays.
  @discardableResult
  public func purge(keep: Int) throws -> [String] {
    guard keep > 0 else { return [] }
    let all = try files()
    let excess = all.count - max(keep, 1)
    guard excess > 0 else { return [] }
    var removed: [String] = []
    for file in all.prefix(excess) {
      try fs.remove(directory + "/" + file.name)
      removed.append(file.name)
    }
    if !unsafeNoFsync { try fs.syncDirectory(directory) }
    return removed
  }

  // MARK: Format: "swetsnap", version u32, CRC-32C u32 of the payload, payload length u64, payload.
  // Payload: index u64, term u64, voter count u32 + IDs u64, learner count u32 + IDs u64, data.

  /// Encodes straight into the file image (header fields patched in last), so the data is copied once.
  static func encode(_ snapshot: Snapshot) -> [UInt8] {
    let confState = snapshot.metadata.confState
    var out: [UInt8] = []
    out.reserveCapacity(headerSize + 24 + 8 * (confState.voters.count + confState.learners.count) + snapshot.data.count)
    func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    out.append(contentsOf: magic)
    put32(version)
    put32(0)  // CRC of the payload, patched below
    put64(0)  // payload length, patched below
    put64(snapshot.metadata.index)
    put64(snapshot.metadata.term)
    for set in [confState.voters, confState.learners] {
      put32(UInt32(set.count))
      for id in set.sorted() { put64(id) }
    }
    out.append(contentsOf: snapshot.data)
    out.withUnsafeMutableBytes { raw in
      let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[headerSize...]))
      raw.storeBytes(of: crc.littleEndian, toByteOffset: 12, as: UInt32.self)
      raw.storeBytes(of: UInt64(raw.count - headerSize).littleEndian, toByteOffset: 16, as: UInt64.self)
    }
    return out
  }

  static func decode(_ bytes: [UInt8], path: String) throws -> Snapshot {
    func bad(_ reason: String) -> WALError { .corruptSnapshot(file: path, reason: reason) }
    guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { throw bad("missing header") }
    return try bytes.withUnsafeBytes { raw -> Snapshot in
      guard raw.u32(8) == version else { throw bad("unknown version \(raw.u32(8))") }
      guard raw.u64(16) == UInt64(bytes.count - headerSize) else {
        throw bad("length field \(raw.u64(16)) but \(bytes.count - headerSize) payload bytes")
      }
      let payload = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
      guard CRC32C.update(0, payload) == raw.u32(12) else { throw bad("CRC mismatch") }
      var at = 16
      guard payload.count >= at else { throw bad("payload too short") }
      var metadata = SnapshotMetadata(index: payload.u64(0), term: payload.u64(8))
      var sets: [Set<NodeID>] = []
      for _ in 0..<2 {
        guard payload.count >= at + 4 else { throw bad("payload too short") }
        let n = Int(payload.u32(at))
        at += 4
        guard n <= (payload.count - at) / 8 else { throw bad("member count \(n) too large") }
        sets.append(Set((0..<n).map { payload.u64(at + 8 * $0) }))
        at += 8 * n
      }
      metadata.confState = ConfState(voters: sets[0], learners: sets[1])
      return Snapshot(metadata: metadata, data: Array(payload[at...]))
    }
  }
}
