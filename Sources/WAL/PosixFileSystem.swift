// The real file system, through Glibc system calls (no Foundation): pwrite, fdatasync, fallocate, flock.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

private func systemStatBuffer() -> stat { stat() }
private func systemStat(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }

/// The operating system's file system.
public final class PosixFileSystem: FileSystem {
  /// Creates the (stateless) file system.
  public init() {}

  static func fail(_ operation: String, _ path: String, _ code: Int32 = errno) -> WALError {
    .io(operation: operation, path: path, errno: code, message: String(cString: strerror(code)))
  }

  public func createDirectory(_ path: String, permissions: UInt32) throws {
    if mkdir(path, mode_t(permissions)) != 0 { throw Self.fail("mkdir", path) }
    // mkdir honours the umask; set the exact bits asked for.
    if chmod(path, mode_t(permissions)) != 0 { throw Self.fail("chmod", path) }
  }

  public func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw Self.fail("opendir", path) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != ".", name != ".." { names.append(name) }
    }
    return names
  }

  public func stat(_ path: String) throws -> FileStatus? {
    var st = systemStatBuffer()
    if systemStat(path, &st) != 0 {
      if errno == ENOENT { return nil }
      throw Self.fail("stat", path)
    }
    return FileStatus(
      size: Int(st.st_size), permissions: UInt32(st.st_mode) & 0o7777, isDirectory: (st.st_mode & S_IFMT) == S_IFDIR)
  }

  public func openForWriting(_ path: String, create: Bool, permissions: UInt32) throws -> any WritableFile {
    let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0)
    let fd = open(path, flags, mode_t(permissions))
    if fd < 0 { throw Self.fail("open", path) }
    return PosixFile(fd: fd, path: path)
  }

  public func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw Self.fail("open", path) }
    defer { _ = Glibc.close(fd) }
    var st = systemStatBuffer()
    if fstat(fd, &st) != 0 { throw Self.fail("fstat", path) }
    let size = Int(st.st_size)
    // Read into uninitialized memory: zero-filling first would touch a 64 MB segment twice.
    return try [UInt8](unsafeUninitializedCapacity: size) { buf, count in
      while count < size {
        let n = pread(fd, buf.baseAddress! + count, size - count, off_t(count))
        if n < 0 {
          if errno == EINTR { continue }
          throw Self.fail("read", path)
        }
        if n == 0 { break }
        count += n
      }
    }
  }

  public func rename(_ from: String, _ to: String) throws {
    if Glibc.rename(from, to) != 0 { throw Self.fail("rename to \(to)", from) }
  }

  public func remove(_ path: String) throws {
    if Glibc.remove(path) != 0 { throw Self.fail("remove", path) }
  }

  public func syncDirectory(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw Self.fail("open directory", path) }
    defer { _ = Glibc.close(fd) }
    if fsync(fd) != 0 { throw Self.fail("fsync directory", path) }
  }

  public func lock(_ path: String) throws -> any FileLock {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    if fd < 0 { throw Self.fail("open lock file", path) }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      _ = Glibc.close(fd)
      if code == EWOULDBLOCK { throw WALError.locked(path: parentDirectory(of: path)) }
      throw Self.fail("flock", path, code)
    }
    return PosixLock(fd: fd)
  }
}

/// A flock held on an open descriptor.
final class PosixLock: FileLock, @unchecked Sendable {
  private var fd: Int32
  init(fd: Int32) { self.fd = fd }
  func unlock() {
    if fd >= 0 {
      _ = flock(fd, LOCK_UN)
      _ = Glibc.close(fd)
      fd = -1
    }
  }
  deinit { unlock() }
}

/// An open file descriptor.
final class PosixFile: WritableFile {
  let path: String
  private var fd: Int32

  init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
  }

  deinit { close() }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
    var done = 0
    while done < bytes.count {
      let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
      if n < 0 {
        if errno == EINTR { continue }
        throw PosixFileSystem.fail("write", path)
      }
      done += n
    }
  }

  func sync() throws {
    if fsync(fd) != 0 { throw PosixFileSystem.fail("fsync", path) }
  }

  func dataSync() throws {
    #if canImport(Glibc)
      if fdatasync(fd) != 0 { throw PosixFileSystem.fail("fdatasync", path) }
    #else
      try sync()
    #endif
  }

  func truncate(to size: Int) throws {
    if ftruncate(fd, off_t(size)) != 0 { throw PosixFileSystem.fail("ftruncate", path) }
  }

  func preallocate(to size: Int) throws {
    let current = try self.size()
    if size <= current { return }
    #if canImport(Glibc)
      let code = posix_fallocate(fd, off_t(current), off_t(size - current))
      if code == 0 { return }
      if code != EOPNOTSUPP, code != ENOSYS, code != EINVAL { throw PosixFileSystem.fail("fallocate", path, code) }
    #endif
    // No fallocate here: write zeros so the blocks are allocated and later appends need no size change.
    let chunk = [UInt8](repeating: 0, count: 1 << 20)
    var offset = current
    while offset < size {
      let n = min(chunk.count, size - offset)
      try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: offset) }
      offset += n
    }
  }

  func size() throws -> Int {
    var st = systemStatBuffer()
    if fstat(fd, &st) != 0 { throw PosixFileSystem.fail("fstat", path) }
    return Int(st.st_size)
  }

  func close() {
    if fd >= 0 {
      _ = Glibc.close(fd)
      fd = -1
    }
  }
}
