// Installing a Raft snapshot's backend while the member runs (etcd's applySnapshot for the mvcc store): the leader's
// database replaces this member's, and every in-memory structure is rebuilt from it.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension KVStore {
  /// Replaces this store's database with the database file at `file` (a consistent copy another member made with
  /// `snapshot(in:)`: the SQLite bytes without the SHA-256 trailer), while the store serves reads.
  ///
  /// The file is moved into the store's directory (renamed; copied when it lies on another file system) and
  /// checked there: a file that is not a whole backend database (see the thrown error) is refused, moved back, and
  /// the store is left as it was. The new key index, revisions, alarms and leased keys are loaded from it (with the
  /// same loader as `init`) before the store is touched; then, excluding readers and writers, the current database
  /// is committed and closed, the file is renamed over it (the directory fsynced) and reopened, and the loaded state
  /// is installed. A concurrent read sees the old store or the new one, never a mix. A compaction the snapshot's
  /// member had not finished is finished here; then the observer is told (`storeRestored`).
  ///
  /// Call it on the applier's thread (it is a write). Afterwards call `Leases.reload(now:)` so the lessor matches
  /// the new lease table, and reload auth and membership from the `BlobTable`s.
  /// - Parameters:
  ///   - file: the database file; consumed on success.
  ///   - minimumConsistentIndex: the Raft index the snapshot stands for: a file whose stored consistent index is
  ///     lower is refused (1 by default: the file must record some applied entry).
  /// - Returns: the applied Raft position the new store holds.
  /// - Throws: `.corrupt` when the file is refused (store unchanged); `.backend` when the disk fails.
  @discardableResult
  public func restore(fromDatabaseFile file: String, minimumConsistentIndex: UInt64 = 1) throws(MVCCError)
    -> ConsistentIndex
  {
    let staged = try StagedDatabase(moving: file, into: StagedDatabase.directory(of: backend.path))
    var installed = false
    defer { installed ? staged.removeSource() : staged.giveBack() }
    let applied = try Backend.checkRestorable(at: staged.path, minimumConsistentIndex: minimumConsistentIndex)
    let freshIndex = KeyIndexTree()
    let loaded = try loadStaged(staged.path, into: freshIndex)
    try fileLock.writing { () throws(MVCCError) in
      try exclusively { () throws(MVCCError) in
        let target = backend.path
        try backend.detachFromFile()
        guard rename(staged.path, target) == 0 else {
          let renameErrno = errno
          // The current file is untouched: back to WAL mode, and the store goes on with what it held.
          do throws(MVCCError) { try backend.reattachToFile() } catch {
            throw MVCCError.backend(path: target, detail: "renaming the restored database into place failed (errno \(renameErrno)); the current data is unchanged, but returning it to WAL mode failed (\(error.description)): restart the member")
          }
          throw MVCCError.backend(path: target, detail: "renaming the restored database into place failed (errno \(renameErrno)); the current store is unchanged")
        }
        installed = true
        Backend.removeSidecarFiles(of: target)
        try Backend.syncFile(StagedDatabase.directory(of: target))
        let reopened: Backend
        do throws(MVCCError) { reopened = try Backend(path: target, options: options.backend) } catch {
          throw MVCCError.backend(path: target, detail: "the restored database is in place but reopening it failed (\(error.description))")
        }
        replaceBackend(reopened)
        index.replaceContents(with: freshIndex)
        install(loaded)
      }
    }
    if pendingCompaction != nil { try finishCompaction() }
    observer?.storeRestored(revision: currentRevision, compactedRevision: compactedRevision)
    return applied
  }

  /// Loads the staged database with the store's loader, then leaves the file self-contained (no WAL beside it).
  private func loadStaged(_ path: String, into index: KeyIndexTree) throws(MVCCError) -> LoadedState {
    let staged = try Backend(path: path, options: options.backend)
    let loaded = try Self.load(from: staged, into: index)
    try staged.detachFromFile()
    return loaded
  }
}

/// A database file moved into the store's directory under a temporary name, so that one rename puts it in place.
private struct StagedDatabase {
  let path: String
  /// Where it came from.
  private let source: String
  /// True when it was renamed from `source`, false when copied (the source then stays until the restore is done).
  private let renamed: Bool

  /// The directory holding `path` ("." for a bare file name).
  static func directory(of path: String) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    return directory.isEmpty ? "." : directory
  }

  init(moving file: String, into directory: String) throws(MVCCError) {
    path = directory + "/.restore-\(UInt64.random(in: 0...UInt64.max)).db"
    source = file
    renamed = rename(file, path) == 0
    if renamed { return }
    let renameError = errno
    guard renameError == EXDEV else {
      throw MVCCError.backend(path: file, detail: "cannot move the snapshot database into \(directory) (errno \(renameError)); check that it exists and that the data directory is writable")
    }
    do {
      try FileManager.default.copyItem(atPath: file, toPath: path)
      try Backend.syncFile(path)
    } catch {
      try? FileManager.default.removeItem(atPath: path)
      throw MVCCError.backend(path: file, detail: "cannot copy the snapshot database into \(directory): \(error)")
    }
  }

  /// After a restore: removes the source of a copied file (a renamed one is already gone).
  func removeSource() {
    if !renamed { try? FileManager.default.removeItem(atPath: source) }
  }

  /// Undoes the move of a refused file (renamed back, or the copy removed) and removes SQLite's side files.
  func giveBack() {
    Backend.removeSidecarFiles(of: path)
    if renamed, rename(path, source) == 0 { return }
    try? FileManager.default.removeItem(atPath: path)
  }
}
