import Foundation

/// A snapshot file checked before anything is stopped: its SHA-256 against its manifest (when one sits beside
/// it), then a test restore into a scratch data dir that reads its key count and revision.
public struct CheckedSnapshot: Sendable {
  public var path: String
  public var sha256: String
  public var bytes: Int
  /// etcdctl's TOTAL KEYS: stored key revisions, not live keys.
  public var storedKeyRevisions: Int
  public var revision: Int64
  /// The backup manifest beside the file, if any.
  public var manifest: BackupManifest?

  /// Runs on a thread of its own: hashing the file and the test restore take minutes for a large snapshot, which
  /// must not hold one of Swift's few cooperative threads.
  /// - Parameter ctl: the local ctl binary that restores snapshots of this server.
  public static func check(path: String, ctl: String) async throws(OpsError) -> CheckedSnapshot {
    try await offThePool { () throws(OpsError) in try checkBlocking(path: path, ctl: ctl) }
  }

  private static func checkBlocking(path: String, ctl: String) throws(OpsError) -> CheckedSnapshot {
    guard FileManager.default.fileExists(atPath: path) else {
      throw .fileFailed(host: "controller", path: path, message: "no such snapshot file; pass the .db file `swetcd-ops backup` wrote")
    }
    guard let sha256 = SHA256Hex.ofFile(path) else {
      throw .fileFailed(host: "controller", path: path, message: "cannot read the snapshot")
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    var manifest: BackupManifest?
    let manifestPath = BackupManifest.path(forSnapshot: path)
    if let data = FileManager.default.contents(atPath: manifestPath) {
      do { manifest = try JSONDecoder().decode(BackupManifest.self, from: data) } catch {
        throw .fileFailed(host: "controller", path: manifestPath, message: "the manifest beside the snapshot does not parse (\(error)); move it away to restore the snapshot without it")
      }
      if let manifest, manifest.fileSHA256 != sha256 {
        throw .refused(reason: "\(path) has sha256 \(sha256) but its manifest records \(manifest.fileSHA256): the file is damaged or is not the backup the manifest describes. Do not restore it; pick another backup")
      }
    }
    let (stored, revision) = try SnapshotVerifier(ctl: ctl).verify(path: path)
    if let manifest, manifest.keys != nil, manifest.revision != revision {
      throw .refused(reason: "\(path) holds revision \(revision) but its manifest records \(manifest.revision); it is not the backup the manifest describes")
    }
    return CheckedSnapshot(path: path, sha256: sha256, bytes: bytes, storedKeyRevisions: stored, revision: revision, manifest: manifest)
  }

  /// Live keys at its revision, when its manifest recorded them.
  public var keys: Int64? { manifest?.keys }

  /// Plan lines describing it.
  var summary: [String] {
    let contents = keys.map { "\($0) keys at revision \(revision)" } ?? "revision \(revision), \(storedKeyRevisions) stored key revisions"
    var lines = ["snapshot \(path): \(bytes) bytes, sha256 \(sha256.prefix(16))..., \(contents) (test-restored: it is sound)"]
    if let manifest {
      lines.append("  taken \(manifest.created) from \(manifest.takenFrom) of cluster \(manifest.cluster); sha256 matches its manifest")
      let learners = manifest.members.filter(\.isLearner)
      if !learners.isEmpty {
        lines.append("  WARNING: when it was taken, \(learners.map(\.name).joined(separator: ", ")) was a learner; the restored cluster has only the inventory's hosts, all voters")
      }
    } else {
      lines.append("  no manifest beside it: its origin is not checked")
    }
    return lines
  }
}
