import CLibSSH2
import Foundation

/// Atomic uploads (temp file, fsync, checksum, chmod/chown, rename) and the observe-before-act reads.
extension SessionCore {
  /// Uploads `source` to `remotePath` so that readers see the old file or the complete new one, never a part.
  func upload(
    _ source: UploadSource, to remotePath: String, mode: UInt32, owner: String?,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws {
    let (folder, name) = Self.split(remotePath)
    guard !name.isEmpty, name != ".", name != ".." else {
      throw SSHError.uploadFailed(host: target.host, path: remotePath, reason: "the destination is not a file path")
    }
    if let owner, owner.isEmpty || owner.contains(where: { $0.isWhitespace }) {
      throw SSHError.uploadFailed(host: target.host, path: remotePath, reason: "invalid owner '\(owner)' (want user or user:group)")
    }
    let temporary = folder + ".\(name).swetcd-tmp-\(CommandPlan.randomToken())"
    if target.sudo == .none {
      try uploadDirectly(source, to: remotePath, temporary: temporary, mode: mode, owner: owner, progress: progress)
    } else {
      try uploadThroughSudo(source, to: remotePath, temporary: temporary, mode: mode, owner: owner, progress: progress)
    }
  }

  /// Splits a remote path into its folder (with the trailing slash, or empty) and file name, keeping the text as
  /// given (no normalisation, so messages show the caller's path).
  static func split(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[...slash]), String(path[path.index(after: slash)...]))
  }

  /// As the login user: SFTP straight into the destination folder, then rename (or `mv -f`) over the target.
  private func uploadDirectly(
    _ source: UploadSource, to remotePath: String, temporary: String, mode: UInt32, owner: String?,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws {
    var created = false
    do {
      let hash = try sftpWrite(source, to: temporary, reportAs: remotePath, created: &created, progress: progress)
      try verifyRemoteHash(of: temporary, expected: hash, reportAs: remotePath)
      try sftpChmod(temporary, mode: mode, reportAs: remotePath)
      if let owner {
        try runStep("chown -- \(shellQuote(owner)) \(shellQuote(temporary))", sudo: false, what: "chown \(owner)", path: remotePath)
      }
      if try !sftpRename(temporary, to: remotePath) {
        try runStep("mv -f -- \(shellQuote(temporary)) \(shellQuote(remotePath))", sudo: false, what: "moving into place", path: remotePath)
      }
    } catch {
      if created { sftpRemoveQuietly(temporary) }
      throw error
    }
  }

  /// As root through sudo: SFTP into a staging file in the login user's home, verify it, then one sudo script
  /// copies it next to the destination, sets mode and owner, verifies again and renames it into place.
  private func uploadThroughSudo(
    _ source: UploadSource, to remotePath: String, temporary: String, mode: UInt32, owner: String?,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws {
    let home = try sftpRealPath(".")
    let staging = (home == "/" ? "" : home) + "/.swetcd-upload-\(CommandPlan.randomToken())"
    var created = false
    defer { if created { sftpRemoveQuietly(staging) } }
    let hash = try sftpWrite(source, to: staging, reportAs: remotePath, created: &created, progress: progress)
    try verifyRemoteHash(of: staging, expected: hash, reportAs: remotePath)
    var script = """
      set -e
      tmp=\(shellQuote(temporary))
      trap 'rm -f -- "$tmp"' EXIT
      cp -- \(shellQuote(staging)) "$tmp"
      chmod \(String(mode, radix: 8)) "$tmp"

      """
    if let owner { script += "chown -- \(shellQuote(owner)) \"$tmp\"\n" }
    script += """
      sum=$(sha256sum < "$tmp"); sum=${sum%% *}
      if [ "$sum" != \(hash) ]; then echo "checksum-mismatch $sum" >&2; exit 97; fi
      sync "$tmp" 2>/dev/null || true
      mv -f -- "$tmp" \(shellQuote(remotePath))
      trap - EXIT
      """
    let result = try exec(script, stdin: nil, timeout: target.commandTimeout, useSudo: true)
    if result.exitStatus == 97, let line = result.stderrText.split(separator: "\n").first(where: { $0.hasPrefix("checksum-mismatch ") }) {
      throw SSHError.checksumMismatch(
        host: target.host, path: remotePath, expected: hash, actual: String(line.dropFirst("checksum-mismatch ".count)))
    }
    guard result.succeeded else {
      throw SSHError.uploadFailed(
        host: target.host, path: remotePath, reason: "installing as root failed: \(Self.errorText(result))")
    }
  }

  /// Hashes `path` remotely with sha256sum and compares with the local hash.
  private func verifyRemoteHash(of path: String, expected: String, reportAs remotePath: String) throws {
    let result = try exec("sha256sum -- \(shellQuote(path))", stdin: nil, timeout: target.commandTimeout, useSudo: false)
    guard result.succeeded else {
      throw SSHError.uploadFailed(
        host: target.host, path: remotePath, reason: "cannot hash the uploaded file: \(Self.errorText(result))")
    }
    let actual = String(result.stdoutText.prefix(64))
    guard actual == expected else {
      throw SSHError.checksumMismatch(host: target.host, path: remotePath, expected: expected, actual: actual)
    }
  }

  /// Runs one upload step; a non-zero exit is an upload failure naming the step.
  private func runStep(_ command: String, sudo: Bool, what: String, path: String) throws {
    let result = try exec(command, stdin: nil, timeout: target.commandTimeout, useSudo: sudo)
    guard result.succeeded else {
      throw SSHError.uploadFailed(host: target.host, path: path, reason: "\(what) failed: \(Self.errorText(result))")
    }
  }

  /// The exit status and stderr of a failed command, for messages.
  static func errorText(_ result: CommandResult) -> String {
    let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    let how = result.exitSignal.map { "signal \($0)" } ?? "exit status \(result.exitStatus)"
    return stderr.isEmpty ? how : "\(stderr) (\(how))"
  }

  // MARK: Observing

  /// Exit status the read scripts use for "no such file".
  private static let missingStatus: Int32 = 44

  /// The contents of `path`, or nil when it does not exist. Uses sudo when the target has a sudo mode.
  func readFile(_ path: String) throws -> Data? {
    let quoted = shellQuote(path)
    let result = try exec(
      "if [ ! -e \(quoted) ]; then exit \(Self.missingStatus); fi; exec cat -- \(quoted)", stdin: nil,
      timeout: target.commandTimeout, useSudo: true)
    if result.exitStatus == Self.missingStatus { return nil }
    guard result.succeeded else {
      throw SSHError.readFailed(host: target.host, path: path, reason: Self.errorText(result))
    }
    return result.stdout
  }

  /// The SHA-256 (lowercase hex) of `path`, or nil when it does not exist.
  func fileSHA256(_ path: String) throws -> String? {
    let quoted = shellQuote(path)
    let result = try exec(
      "if [ ! -e \(quoted) ]; then exit \(Self.missingStatus); fi; sha256sum < \(quoted)", stdin: nil,
      timeout: target.commandTimeout, useSudo: true)
    if result.exitStatus == Self.missingStatus { return nil }
    let digest = String(result.stdoutText.prefix(64))
    guard result.succeeded, digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
      throw SSHError.readFailed(host: target.host, path: path, reason: "sha256sum failed: \(Self.errorText(result))")
    }
    return digest
  }
}
