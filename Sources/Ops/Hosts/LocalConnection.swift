import Foundation

/// This machine as a host (`connection: local`): commands run with /bin/sh, files are written directly.
public struct LocalConnection: HostConnection {
  public let hostName: String

  public init(hostName: String) { self.hostName = hostName }

  public func run(_ command: String, stdin: Data?, timeout: Duration) async throws(OpsError) -> CommandOutput {
    let host = hostName
    let seconds = Double(timeout.components.seconds)
    return try await offThePool { () throws(OpsError) in try Self.runBlocking(command, stdin: stdin, seconds: seconds, host: host) }
  }

  /// Runs the command on the calling thread (see `SpawnedCommand`).
  private static func runBlocking(_ command: String, stdin: Data?, seconds: Double, host: String) throws(OpsError) -> CommandOutput {
    let outcome: SpawnedCommand.Outcome
    do {
      outcome = try SpawnedCommand.run(command, stdin: stdin, timeoutSeconds: seconds)
    } catch {
      throw .connectionFailed(host: host, message: "cannot run /bin/sh: \(error)")
    }
    if outcome.timedOut { throw .commandTimedOut(host: host, command: command, seconds: Int(seconds)) }
    return CommandOutput(stdout: String(decoding: outcome.stdout, as: UTF8.self),
                         stderr: String(decoding: outcome.stderr, as: UTF8.self), status: outcome.status)
  }

  public func readFile(_ path: String) async throws(OpsError) -> Data? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .fileFailed(host: hostName, path: path, message: "cannot be read (permissions?)")
    }
    return data
  }

  public func writeFile(_ data: Data, to path: String, mode: Int, owner: String?) async throws(OpsError) {
    do {
      try AtomicFile.write(data, to: path, mode: mode)
    } catch {
      throw .fileFailed(host: hostName, path: path, message: "\(error)")
    }
    if let owner { try await check("chown \(shellQuote(owner)) \(shellQuote(path))") }
  }

  public func pushFile(
    localPath: String, to path: String, mode: Int, owner: String?, progress: (@Sendable (Int, Int) -> Void)?
  ) async throws(OpsError) {
    guard let localHash = SHA256Hex.ofFile(localPath) else {
      throw .fileFailed(host: hostName, path: localPath, message: "cannot read the local file to push")
    }
    do {
      guard try AtomicFile.copy(from: localPath, to: path, mode: mode, sha256: localHash) else {
        throw OpsError.fileFailed(host: hostName, path: path, message: "SHA-256 after writing does not match \(localPath); check the disk")
      }
    } catch let error as OpsError {
      throw error
    } catch {
      throw .fileFailed(host: hostName, path: path, message: "\(error)")
    }
    if let owner { try await check("chown \(shellQuote(owner)) \(shellQuote(path))") }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    progress?(size, size)
  }

  public func sha256(of path: String) async throws(OpsError) -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let hash = SHA256Hex.ofFile(path) else {
      throw .fileFailed(host: hostName, path: path, message: "cannot be read (permissions?)")
    }
    return hash
  }

  public func close() async {}
}

/// write-then-fsync-then-rename, so a crash leaves the old file or the new one, never a torn one.
enum AtomicFile {
  /// A temporary name beside `path` (same folder, so the rename stays on one file system); creates the folder.
  private static func tempName(for path: String) throws -> (temp: String, directory: String) {
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return ("\(directory)/.\((path as NSString).lastPathComponent).swetcd-tmp-\(UInt32.random(in: 0...UInt32.max))", directory)
  }

  private static func fsyncDirectory(_ directory: String) {
    let dirfd = open(directory, O_RDONLY)
    if dirfd >= 0 {
      fsync(dirfd)
      close(dirfd)
    }
  }

  /// Copies `source` to `path` without reading it into memory: a copy under a temporary name beside `path`,
  /// `mode` set, fsynced, its SHA-256 checked against `sha256`, then renamed into place.
  /// - Returns: false (leaving nothing behind) when the copy's SHA-256 is not `sha256`.
  static func copy(from source: String, to path: String, mode: Int, sha256: String) throws -> Bool {
    let (temp, directory) = try tempName(for: path)
    var ok = false
    defer { if !ok { unlink(temp) } }
    try FileManager.default.copyItem(atPath: source, toPath: temp)
    let fd = open(temp, O_RDONLY)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let synced = fchmod(fd, mode_t(mode)) == 0 && fsync(fd) == 0
    let syncError = errno
    close(fd)
    guard synced else { throw POSIXError(POSIXErrorCode(rawValue: syncError) ?? .EIO) }
    guard SHA256Hex.ofFile(temp) == sha256 else { return false }
    guard rename(temp, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    ok = true
    fsyncDirectory(directory)
    return true
  }

  static func write(_ data: Data, to path: String, mode: Int) throws {
    let (temp, directory) = try tempName(for: path)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, mode_t(mode))
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    var ok = false
    defer {
      close(fd)
      if !ok { unlink(temp) }
    }
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
        guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        offset += written
      }
    }
    guard fchmod(fd, mode_t(mode)) == 0, fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    guard rename(temp, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    ok = true
    fsyncDirectory(directory)
  }
}
