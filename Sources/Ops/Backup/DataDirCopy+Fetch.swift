import EtcdClient
import Foundation

/// The JSON written beside a data-dir archive (`<archive without .tar.gz>.json`).
public struct DataDirManifest: Codable, Sendable, Hashable {
  public var cluster: String
  public var server: String
  /// ISO 8601 UTC, when the member was stopped.
  public var created: String
  /// The archive's file name (in the same folder).
  public var file: String
  /// The inventory host and the member's hex ID.
  public var member: String
  public var memberID: String
  public var address: String
  /// The member's revision, raft index and version from Status just before it was stopped.
  public var revision: Int64
  public var raftIndex: UInt64
  public var version: String
  /// Folders in the archive, with their full paths on the host.
  public var dataDirectory: String
  public var walDirectory: String?
  /// SHA-256 and size of the archive, checked on the controller after the transfer.
  public var sha256: String
  public var size: Int
  /// How to put it back (with the member stopped and its data dir moved aside).
  public var restore: String

  /// The manifest as written beside the archive.
  public func encoded() throws -> Data { try ManifestJSON.encode(self) }
}

extension DataDirCopy {
  /// Bytes per transfer round trip (sent base64-encoded through the command channel).
  static let chunkBytes = 4 << 20

  /// Fetches the archive in chunks into a hidden file, checks size and SHA-256 against the host's, renames it
  /// into place, writes the manifest and removes the archive from the host.
  /// - Parameter status: the member's Status read right before it was stopped (the manifest's revision and index).
  func fetch(_ member: Member, memberID: UInt64, status: EndpointStatus, remotePath: String, name: String, folders: [String],
             created: Date, say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> DataDirManifest {
    let connection = member.connection
    let sizeText = try await connection.check("stat -c %s \(shellQuote(remotePath))").trimmingCharacters(in: .whitespacesAndNewlines)
    guard let size = Int(sizeText), let remoteSHA = try await connection.sha256(of: remotePath) else {
      throw .fileFailed(host: member.name, path: remotePath, message: "the archive is missing after tar; run again")
    }
    let folder = directory
    let localPath = "\(folder)/\(name)"
    let partial = "\(folder)/.\(name).part"
    say("fetching \(remotePath) (\(size) bytes) to \(localPath)")
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .fileFailed(host: "controller", path: folder, message: "cannot create the backup folder: \(error)")
    }
    guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
          let handle = FileHandle(forWritingAtPath: partial) else {
      throw .fileFailed(host: "controller", path: partial, message: "cannot be created; check the folder's permissions")
    }
    do throws(OpsError) {
      var offset = 0, index = 0
      while offset < size {
        let expected = min(Self.chunkBytes, size - offset)
        let encoded = try await connection.check(
          "dd if=\(shellQuote(remotePath)) bs=\(Self.chunkBytes) skip=\(index) count=1 2>/dev/null | base64 -w0", timeout: .seconds(300))
        guard let chunk = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespacesAndNewlines)), chunk.count == expected else {
          throw OpsError.fileFailed(host: member.name, path: remotePath, message: "chunk \(index) came back damaged or short; run again")
        }
        do { try handle.write(contentsOf: chunk) } catch {
          throw OpsError.fileFailed(host: "controller", path: partial, message: "cannot write: \(error)")
        }
        offset += expected
        index += 1
      }
      do { try handle.synchronize(); try handle.close() } catch {
        throw OpsError.fileFailed(host: "controller", path: partial, message: "cannot flush: \(error)")
      }
      guard let localSHA = SHA256Hex.ofFile(partial), localSHA == remoteSHA else {
        throw OpsError.fileFailed(host: "controller", path: partial,
                                  message: "SHA-256 after the transfer differs from the host's \(remoteSHA); the copy is damaged, run again")
      }
    } catch {
      try? handle.close()
      unlink(partial)
      throw error
    }
    guard rename(partial, localPath) == 0 else {
      throw .fileFailed(host: "controller", path: localPath, message: "cannot rename the archive into place (errno \(errno))")
    }
    let node = member.host.node
    let manifest = DataDirManifest(
      cluster: inventory.cluster.name, server: inventory.cluster.server.rawValue,
      created: ISO8601DateFormatter().string(from: created), file: name, member: member.name,
      memberID: etcdIDString(memberID), address: member.host.address,
      revision: status.revision, raftIndex: status.raftIndex, version: status.version,
      dataDirectory: node.dataDirectory, walDirectory: folders.count > 1 ? folders[1] : nil,
      sha256: remoteSHA, size: size,
      restore: "stop the member, move \(folders.joined(separator: " and ")) aside, then as root: tar -xzpf \(name) -C / --numeric-owner")
    let manifestPath = "\(folder)/\(name.replacingOccurrences(of: ".tar.gz", with: ".json"))"
    do {
      try AtomicFile.write(try manifest.encoded(), to: manifestPath, mode: 0o600)
    } catch {
      throw .fileFailed(host: "controller", path: manifestPath, message: "cannot write the manifest: \(error)")
    }
    try await connection.check("rm -f \(shellQuote(remotePath))")
    say("saved \(localPath) (\(size) bytes, sha256 \(remoteSHA.prefix(16))..., verified after the transfer; revision \(manifest.revision)) and \(manifestPath)")
    return manifest
  }
}
