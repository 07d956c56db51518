import CLibSSH2
import Crypto
import Foundation

/// Where upload bytes come from.
enum UploadSource {
  case data(Data)
  case file(String)

  /// Total size in bytes.
  func size() throws -> Int64 {
    switch self {
    case .data(let data):
      return Int64(data.count)
    case .file(let path):
      var info = stat()
      guard stat(path, &info) == 0 else {
        throw SSHError.localFileUnreadable(path: path, reason: String(cString: strerror(errno)))
      }
      guard info.st_mode & S_IFMT == S_IFREG else {
        throw SSHError.localFileUnreadable(path: path, reason: "not a regular file")
      }
      return Int64(info.st_size)
    }
  }

  /// Calls `body` with consecutive chunks of at most `chunkSize` bytes.
  func forEachChunk(_ chunkSize: Int, _ body: (Data) throws -> Void) throws {
    switch self {
    case .data(let data):
      var offset = data.startIndex
      while offset < data.endIndex {
        let end = min(offset + chunkSize, data.endIndex)
        try body(data.subdata(in: offset..<end))
        offset = end
      }
    case .file(let path):
      guard let handle = FileHandle(forReadingAtPath: path) else {
        throw SSHError.localFileUnreadable(path: path, reason: "cannot open for reading")
      }
      defer { try? handle.close() }
      while true {
        let chunk: Data
        do {
          chunk = try handle.read(upToCount: chunkSize) ?? Data()
        } catch {
          throw SSHError.localFileUnreadable(path: path, reason: error.localizedDescription)
        }
        if chunk.isEmpty { return }
        try body(chunk)
      }
    }
  }
}

/// SFTP primitives: open the subsystem, write a file with fsync, setstat, rename, unlink, realpath.
extension SessionCore {
  /// The SFTP subsystem, started on first use.
  func sftpSession(_ limit: StepLimit) throws -> OpaquePointer {
    if let sftp = sftpHandle { return sftp }
    guard let sftp = try retryPointer(limit, { libssh2_sftp_init(session) }) else {
      let error = lastError()
      try throwIfConnectionLost(error.code)
      throw SSHError.channelFailed(host: target.host, reason: "cannot start the SFTP subsystem: \(error.message)")
    }
    sftpHandle = sftp
    return sftp
  }

  /// What the last SFTP status code means, for error messages.
  func sftpProblem(_ sftp: OpaquePointer, rc: Int32) -> String {
    guard rc == LIBSSH2_ERROR_SFTP_PROTOCOL else { return lastError().message }
    switch libssh2_sftp_last_error(sftp) {
    case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH: return "no such file or directory"
    case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied"
    case LIBSSH2_FX_FILE_ALREADY_EXISTS: return "the file already exists"
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "no space left on the file system"
    case LIBSSH2_FX_QUOTA_EXCEEDED: return "disk quota exceeded"
    case LIBSSH2_FX_WRITE_PROTECT: return "the file system is read-only"
    case LIBSSH2_FX_NOT_A_DIRECTORY: return "a path component is not a directory"
    case LIBSSH2_FX_OP_UNSUPPORTED: return "the server does not support this operation"
    case let code: return "SFTP status \(code)"
    }
  }

  /// A limit that expires when an SFTP step makes no progress for the command timeout.
  func stallLimit(_ path: String) -> StepLimit {
    let host = target.host, seconds = target.commandTimeout.seconds
    return StepLimit(target.commandTimeout, operation: "upload") {
      .uploadFailed(host: host, path: path, reason: "the transfer stalled: no progress for \(SSHError.format(seconds)) s")
    }
  }

  /// Writes `source` to a new file `path` (created exclusively, mode 0600), fsyncs and closes it.
  /// Sets `created` once the file exists. Returns the SHA-256 (hex) of the bytes sent.
  func sftpWrite(
    _ source: UploadSource, to path: String, reportAs finalPath: String, created: inout Bool,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws -> String {
    let total = try source.size()
    let sftp = try sftpSession(stallLimit(finalPath))
    let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL)
    let handle = try retryPointer(stallLimit(finalPath)) {
      libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, 0o600, LIBSSH2_SFTP_OPENFILE)
    }
    guard let handle else {
      let rc = libssh2_session_last_errno(session)
      try throwIfConnectionLost(rc)
      let parent = Self.split(path).folder
      let folder = parent.isEmpty ? "." : (parent == "/" ? "/" : String(parent.dropLast()))
      var reason = "cannot create \(path): \(sftpProblem(sftp, rc: rc))"
      if rc == LIBSSH2_ERROR_SFTP_PROTOCOL {
        let code = libssh2_sftp_last_error(sftp)
        if code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH {
          reason = "the directory \(folder) does not exist; create it first"
        } else if code == LIBSSH2_FX_PERMISSION_DENIED {
          reason = "permission denied creating a file in \(folder) as \(target.user); set a sudo mode to write there as root"
        }
      }
      throw SSHError.uploadFailed(host: target.host, path: finalPath, reason: reason)
    }
    created = true
    var open = true
    defer { if open { _ = try? retry(stallLimit(finalPath)) { libssh2_sftp_close_handle(handle) } } }

    var hasher = SHA256()
    var sent: Int64 = 0
    try source.forEachChunk(1 << 20) { chunk in
      hasher.update(data: chunk)
      try chunk.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
          // In non-blocking mode libssh2 wants the same buffer again after EAGAIN: the retry passes it unchanged.
          let written = try retry(stallLimit(finalPath)) {
            Int32(clamping: libssh2_sftp_write(
              handle, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), bytes.count - offset))
          }
          guard written > 0 else {
            try throwIfConnectionLost(written)
            throw SSHError.uploadFailed(
              host: target.host, path: finalPath, reason: "writing failed: \(sftpProblem(sftp, rc: written))")
          }
          offset += Int(written)
          sent += Int64(written)
          progress?(sent, total)
        }
      }
    }
    if total == 0 { progress?(0, 0) }

    let synced = try retry(stallLimit(finalPath)) { libssh2_sftp_fsync(handle) }
    if synced != 0 && !(synced == LIBSSH2_ERROR_SFTP_PROTOCOL && libssh2_sftp_last_error(sftp) == LIBSSH2_FX_OP_UNSUPPORTED) {
      throw SSHError.uploadFailed(host: target.host, path: finalPath, reason: "fsync failed: \(sftpProblem(sftp, rc: synced))")
    }
    open = false
    let closed = try retry(stallLimit(finalPath)) { libssh2_sftp_close_handle(handle) }
    guard closed == 0 else {
      throw SSHError.uploadFailed(host: target.host, path: finalPath, reason: "closing failed: \(sftpProblem(sftp, rc: closed))")
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  /// Sets the permission bits of `path`.
  func sftpChmod(_ path: String, mode: UInt32, reportAs finalPath: String) throws {
    let sftp = try sftpSession(stallLimit(finalPath))
    var attributes = LIBSSH2_SFTP_ATTRIBUTES()
    attributes.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
    attributes.permissions = UInt(mode)
    let rc = try retry(stallLimit(finalPath)) {
      libssh2_sftp_stat_ex(sftp, path, UInt32(path.utf8.count), LIBSSH2_SFTP_SETSTAT, &attributes)
    }
    guard rc == 0 else {
      throw SSHError.uploadFailed(
        host: target.host, path: finalPath, reason: "chmod \(String(mode, radix: 8)) failed: \(sftpProblem(sftp, rc: rc))")
    }
  }

  /// Renames with OVERWRITE|ATOMIC|NATIVE; false when the server refused (SFTP v3 servers do not overwrite).
  func sftpRename(_ source: String, to destination: String) throws -> Bool {
    let sftp = try sftpSession(stallLimit(destination))
    let flags = Int(LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE)
    let rc = try retry(stallLimit(destination)) {
      libssh2_sftp_rename_ex(
        sftp, source, UInt32(source.utf8.count), destination, UInt32(destination.utf8.count), flags)
    }
    try throwIfConnectionLost(rc)
    return rc == 0
  }

  /// Removes `path`, ignoring every error (cleanup after a failure).
  func sftpRemoveQuietly(_ path: String) {
    let saved = cancel
    cancel = nil
    defer { cancel = saved }
    guard let sftp = try? sftpSession(StepLimit(.seconds(5), operation: "cleanup") { .closed(host: "") }) else { return }
    let limit = StepLimit(.seconds(5), operation: "cleanup") { .closed(host: "") }
    _ = try? retry(limit) { libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count)) }
  }

  /// The absolute path of `path` on the server (SFTP realpath), e.g. `.` is the login user's home.
  func sftpRealPath(_ path: String) throws -> String {
    let sftp = try sftpSession(stallLimit(path))
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = Int(buffer.count)
    let rc = try retry(stallLimit(path)) {
      libssh2_sftp_symlink_ex(sftp, path, UInt32(path.utf8.count), &buffer, UInt32(count), LIBSSH2_SFTP_REALPATH)
    }
    guard rc > 0 else {
      throw SSHError.uploadFailed(host: target.host, path: path, reason: "cannot resolve the path: \(sftpProblem(sftp, rc: rc))")
    }
    return String(decoding: buffer.prefix(Int(rc)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
