import Crypto
import Foundation

/// Writes a snapshot stream to `<path>.part` and checks it as `etcdctl snapshot restore` would: etcd appends the
/// SHA-256 of the database to the stream, so the last 32 bytes must equal the hash of everything before them.
/// Only a verified file is fsynced and renamed to `path`; the file keeps the trailer, as etcdctl's does.
public final class SnapshotFile {
  public let path: String
  private let partPath: String
  private let handle: FileHandle
  private var hasher = SHA256()
  /// The newest bytes, held back from the hash until we know they are not the trailer.
  private var tail = Data()
  private(set) var total = 0

  public init(path: String) throws(EtcdClientError) {
    self.path = path
    partPath = path + ".part"
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: partPath, contents: nil, attributes: [.posixPermissions: 0o600]),
          let handle = FileHandle(forWritingAtPath: partPath) else {
      throw .snapshotFailed(path: path, reason: "cannot create \(partPath); check the folder exists and is writable")
    }
    self.handle = handle
  }

  /// Appends the next chunk of the stream.
  public func append(_ chunk: Data) throws(EtcdClientError) {
    do { try handle.write(contentsOf: chunk) } catch {
      throw .snapshotFailed(path: path, reason: "writing \(partPath) failed: \(error)")
    }
    total += chunk.count
    tail.append(chunk)
    if tail.count > SHA256.byteCount {
      let hashable = tail.count - SHA256.byteCount
      hasher.update(data: tail.prefix(hashable))
      tail = Data(tail.suffix(SHA256.byteCount))
    }
  }

  /// Verifies the trailer, fsyncs and renames into place. Returns the database's SHA-256 (hex) and its size.
  public func finish() throws(EtcdClientError) -> (sha256: String, databaseBytes: Int) {
    let digest = Data(hasher.finalize())
    guard tail.count == SHA256.byteCount, tail == digest else {
      abandon()
      throw .snapshotFailed(path: path, reason: "the stream's SHA-256 trailer does not match its \(max(0, total - SHA256.byteCount)) database bytes (\(total) bytes received); the snapshot is corrupt or was cut short, take it again")
    }
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      abandon()
      throw .snapshotFailed(path: path, reason: "fsync of \(partPath) failed: \(error)")
    }
    guard rename(partPath, path) == 0 else {
      abandon()
      throw .snapshotFailed(path: path, reason: "renaming \(partPath) failed (errno \(errno))")
    }
    return (digest.map { String(format: "%02x", $0) }.joined(), total - SHA256.byteCount)
  }

  /// Removes the partial file (after a failure).
  public func abandon() {
    try? handle.close()
    unlink(partPath)
  }
}
