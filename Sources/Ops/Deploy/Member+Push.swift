import Foundation

extension Member {
  /// Pushes the local file `local` to `remote` on the member's host (atomically, mode 0755, its SHA-256 checked
  /// on the host before the rename) unless the remote file already has the same SHA-256.
  /// - Parameters:
  ///   - progress: called with bytes sent and the total while uploading.
  ///   - dryRun: only compare; push nothing (the result still says whether a push is due).
  /// - Returns: the local file's SHA-256 when the remote file differed (and so was pushed, unless `dryRun`); nil
  ///   when it was already the same.
  /// - Throws: `OpsError.fileFailed` (host "controller") when the local file cannot be read; the connection's
  ///   errors when the host cannot be read or written.
  func pushIfChanged(local: String, remote: String, progress: (@Sendable (_ sent: Int, _ total: Int) -> Void)? = nil,
                     dryRun: Bool = false) async throws(OpsError) -> String? {
    guard let localHash = SHA256Hex.ofFile(local) else {
      throw .fileFailed(host: "controller", path: local, message: "cannot be read; check that the file exists and the path given for it")
    }
    if try await connection.sha256(of: remote) == localHash { return nil }
    if !dryRun {
      try await connection.pushFile(localPath: local, to: remote, mode: 0o755, owner: nil, progress: progress)
    }
    return localHash
  }

  /// Writes `data` to `remote` on the member's host (atomically, with `mode` and `owner`) unless the remote file
  /// already has the same SHA-256.
  /// - Parameter dryRun: only compare; write nothing (the result still says whether a write is due).
  /// - Returns: whether the file differed (and so was written, unless `dryRun`).
  func writeIfChanged(_ data: Data, to remote: String, mode: Int, owner: String?, dryRun: Bool = false) async throws(OpsError) -> Bool {
    if try await connection.sha256(of: remote) == SHA256Hex.of(data) { return false }
    if !dryRun { try await connection.writeFile(data, to: remote, mode: mode, owner: owner) }
    return true
  }
}
