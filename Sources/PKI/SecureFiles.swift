// Small POSIX file helpers for the store: atomic writes (temp file + fsync + rename), modes, directories.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File operations with exact permission bits and crash-safe replacement.
package enum SecureFiles {
  /// Mode of private keys.
  static let secretMode: mode_t = 0o600
  /// Mode of certificates.
  static let publicMode: mode_t = 0o644
  /// Mode of store directories.
  static let directoryMode: mode_t = 0o700

  /// Writes `contents` to `path` so that readers see the old file or the whole new one, never a torn one:
  /// a temp file in the same folder with `mode`, fsync, rename over `path`, fsync of the folder.
  package static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let temp = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw failure(temp, "create") }
    var closed = false
    defer {
      if !closed { close(fd) }
    }
    do {
      guard fchmod(fd, mode) == 0 else { throw failure(temp, "set the mode of") }
      let bytes = Array(contents.utf8)
      var offset = 0
      while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
          if errno == EINTR { continue }
          throw failure(temp, "write")
        }
        offset += written
      }
      guard fsync(fd) == 0 else { throw failure(temp, "fsync") }
      closed = true
      guard close(fd) == 0 else { throw failure(temp, "close") }
      guard rename(temp, path) == 0 else { throw failure(path, "replace") }
    } catch {
      unlink(temp)
      throw error
    }
    syncDirectory(directory)
  }

  /// Flushes a directory entry change (best effort: some file systems refuse fsync on directories).
  static func syncDirectory(_ directory: String) {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }

  /// Creates `path` (and missing parents) with mode 0700, or tightens an existing one to 0700.
  /// - Returns: true if anything was created or changed.
  static func ensureDirectory(_ path: String) throws -> Bool {
    var info = stat()
    if stat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw PKIError.fileSystem(path: path, operation: "use as a folder", detail: "it exists and is not a folder")
      }
      return try ensureMode(path, directoryMode)
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path, !FileManager.default.fileExists(atPath: parent) {
      _ = try ensureDirectory(parent)
    }
    guard mkdir(path, directoryMode) == 0 || errno == EEXIST else { throw failure(path, "create the folder") }
    guard chmod(path, directoryMode) == 0 else { throw failure(path, "set the mode of") }
    return true
  }

  /// Sets `path`'s permission bits to `mode` if they differ. Returns true if it changed them.
  static func ensureMode(_ path: String, _ mode: mode_t) throws -> Bool {
    guard let current = self.mode(of: path) else { throw failure(path, "stat") }
    if current == mode { return false }
    guard chmod(path, mode) == 0 else { throw failure(path, "set the mode of") }
    return true
  }

  /// The permission bits of `path`, or nil if it does not exist.
  static func mode(of path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
  }

  /// The file's text, or nil if it does not exist.
  static func read(_ path: String) throws -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PKIError.fileSystem(path: path, operation: "read", detail: "permission denied or not a regular file")
    }
    return String(decoding: data, as: UTF8.self)
  }

  private static func failure(_ path: String, _ operation: String) -> PKIError {
    PKIError.fileSystem(path: path, operation: operation, detail: String(cString: strerror(errno)))
  }
}
