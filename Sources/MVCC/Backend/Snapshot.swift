// Backend snapshots: a consistent copy of the database streamed in 32 KiB chunks with a SHA-256 trailer (etcd's
// Maintenance.Snapshot), and restore from such a file (what `etcdctl snapshot save` writes: the bytes, then the hash).

import Crypto
import Foundation

/// A consistent copy of the database, read in chunks; after the last chunk, `trailer` is the SHA-256 of every byte
/// handed out. The copy is a temporary file removed when the stream is closed or released. One consumer at a time
/// (it may move between threads, e.g. into the task that sends the chunks).
public final class SnapshotStream: @unchecked Sendable {
  /// The chunk size etcd uses (32 KiB).
  public static let chunkSize = 32 * 1024
  /// The size of the copy in bytes (the trailer excluded).
  public let totalBytes: Int64
  /// The applied Raft position the copy reflects.
  public let consistentIndex: ConsistentIndex
  private let path: String
  private var handle: FileHandle?
  private var hasher = SHA256()
  private var sent: Int64 = 0
  private var digest: [UInt8]?

  init(path: String, consistentIndex: ConsistentIndex) throws(MVCCError) {
    self.path = path
    self.consistentIndex = consistentIndex
    do {
      totalBytes = ((try FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
      handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    } catch {
      throw MVCCError.backend(path: path, detail: "cannot open the snapshot copy: \(error)")
    }
  }

  deinit { close() }

  /// Bytes not yet handed out (etcd's `remaining_bytes`).
  public var remainingBytes: Int64 { totalBytes - sent }

  /// The next chunk of at most 32 KiB, or nil when every byte was handed out.
  public func nextChunk() throws(MVCCError) -> [UInt8]? {
    guard let handle else { return nil }
    let data: Data
    do { data = try handle.read(upToCount: Self.chunkSize) ?? Data() } catch {
      throw MVCCError.backend(path: path, detail: "reading the snapshot copy failed: \(error)")
    }
    guard !data.isEmpty else {
      digest = Array(hasher.finalize())
      close()
      return nil
    }
    hasher.update(data: data)
    sent += Int64(data.count)
    return Array(data)
  }

  /// The SHA-256 of the bytes handed out; available once `nextChunk()` returned nil.
  public var trailer: [UInt8]? { digest }

  /// Streams everything into `destination` followed by the trailer: the file `etcdctl snapshot save` writes.
  public func write(to destination: String) throws(MVCCError) {
    var out = Data()
    while let chunk = try nextChunk() { out.append(contentsOf: chunk) }
    out.append(contentsOf: trailer ?? [])
    do { try out.write(to: URL(fileURLWithPath: destination), options: .atomic) } catch {
      throw MVCCError.backend(path: destination, detail: "writing the snapshot failed: \(error)")
    }
  }

  /// Removes the temporary copy.
  public func close() {
    try? handle?.close()
    handle = nil
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// Snapshot files: the database bytes followed by their SHA-256.
public enum SnapshotFile {
  /// Checks the trailer of the snapshot at `snapshotPath` and writes the database bytes to `databasePath` (removing
  /// any `-wal`/`-shm` files beside it), ready to open as a store. Refuses a file whose hash does not match.
  public static func restore(from snapshotPath: String, to databasePath: String) throws(MVCCError) {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: snapshotPath)) } catch {
      throw MVCCError.backend(path: snapshotPath, detail: "cannot read the snapshot: \(error)")
    }
    let digestSize = SHA256.byteCount
    guard data.count > digestSize else {
      throw MVCCError.corrupt(path: snapshotPath, detail: "the file is \(data.count) bytes, too short for a snapshot with its SHA-256 trailer")
    }
    let body = data.prefix(data.count - digestSize)
    let expected = Array(data.suffix(digestSize))
    guard Array(SHA256.hash(data: body)) == expected else {
      throw MVCCError.corrupt(path: snapshotPath, detail: "the SHA-256 trailer does not match the \(body.count) bytes before it (the snapshot is damaged or truncated; take a new one)")
    }
    Backend.removeSidecarFiles(of: databasePath)
    do { try body.write(to: URL(fileURLWithPath: databasePath), options: .atomic) } catch {
      throw MVCCError.backend(path: databasePath, detail: "writing the restored database failed: \(error)")
    }
  }
}
