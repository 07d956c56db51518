// The file-system seam: every byte the WAL module reads or writes goes through these protocols, so tests can swap
// in SimulatedFileSystem (crashes, torn writes, lost un-synced data) for PosixFileSystem.

/// What `stat` reports about a path.
public struct FileStatus: Sendable, Hashable {
  /// Size in bytes (files).
  public var size: Int
  /// Permission bits (e.g. `0o700`).
  public var permissions: UInt32
  /// True for a directory.
  public var isDirectory: Bool

  /// Creates a status.
  public init(size: Int, permissions: UInt32, isDirectory: Bool) {
    self.size = size
    self.permissions = permissions
    self.isDirectory = isDirectory
  }
}

/// An open file, written at explicit offsets. Not thread-safe: one owner at a time.
public protocol WritableFile: AnyObject {
  /// The path it was opened at (for messages).
  var path: String { get }
  /// Writes all of `bytes` at `offset`.
  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws
  /// Makes content and metadata durable (fsync).
  func sync() throws
  /// Makes content durable, and metadata only where needed to read it back (fdatasync).
  func dataSync() throws
  /// Sets the size to `size` (dropping or zero-extending).
  func truncate(to size: Int) throws
  /// Reserves space up to `size` bytes (fallocate; falls back to writing zeros). Never shrinks.
  func preallocate(to size: Int) throws
  /// The current size.
  func size() throws -> Int
  /// Closes the handle (idempotent).
  func close()
}

/// A held exclusive lock; released by `unlock()` (idempotent) or process exit.
public protocol FileLock: AnyObject, Sendable {
  /// Releases the lock.
  func unlock()
}

/// All IO of the WAL module. Paths are absolute or relative strings joined with "/".
public protocol FileSystem: AnyObject, Sendable {
  /// Creates one directory with `permissions` (its parent must exist). Throws if it exists.
  func createDirectory(_ path: String, permissions: UInt32) throws
  /// Names (not paths) of the entries of a directory, in no particular order.
  func listDirectory(_ path: String) throws -> [String]
  /// The status of `path`, nil when it does not exist.
  func stat(_ path: String) throws -> FileStatus?
  /// Opens `path` for writing, creating it with `permissions` when `create` is true and it does not exist.
  func openForWriting(_ path: String, create: Bool, permissions: UInt32) throws -> any WritableFile
  /// Reads a whole file.
  func readFile(_ path: String) throws -> [UInt8]
  /// Renames a file or directory, replacing `to` if it is a file.
  func rename(_ from: String, _ to: String) throws
  /// Removes a file or an empty directory.
  func remove(_ path: String) throws
  /// Makes the directory's entries (creates, renames, removes inside it) durable.
  func syncDirectory(_ path: String) throws
  /// Takes an exclusive lock on `path` (created if missing) without blocking; throws `WALError.locked` if held.
  func lock(_ path: String) throws -> any FileLock
}

extension FileSystem {
  /// True when `path` exists.
  public func exists(_ path: String) throws -> Bool { try stat(path) != nil }

  /// Creates `path` and any missing parents with `permissions`.
  public func createDirectories(_ path: String, permissions: UInt32) throws {
    if try stat(path) != nil { return }
    let parent = parentDirectory(of: path)
    if parent != path, !parent.isEmpty { try createDirectories(parent, permissions: permissions) }
    try createDirectory(path, permissions: permissions)
  }

  /// Removes a directory and the files in it (one level of subdirectories deep is enough for WAL temp dirs).
  public func removeTree(_ path: String) throws {
    guard let status = try stat(path) else { return }
    if status.isDirectory {
      for name in try listDirectory(path) { try removeTree(path + "/" + name) }
    }
    try remove(path)
  }

  /// Writes `bytes` to a new file at `path` atomically: temp file, fsync, rename, directory fsync.
  public func writeAtomically(_ path: String, _ bytes: [UInt8], permissions: UInt32, sync: Bool = true) throws {
    let temp = path + ".tmp"
    let file = try openForWriting(temp, create: true, permissions: permissions)
    defer { file.close() }
    try file.truncate(to: 0)
    try bytes.withUnsafeBytes { try file.write($0, at: 0) }
    if sync { try file.sync() }
    try rename(temp, path)
    if sync { try syncDirectory(parentDirectory(of: path)) }
  }
}

/// The directory part of `path` ("." when there is none).
public func parentDirectory(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  if slash == path.startIndex { return "/" }
  return String(path[..<slash])
}
