import EtcdProto
import Foundation
import GRPCCore

/// A snapshot saved by `EtcdConnection.saveSnapshot`.
public struct SavedSnapshot: Sendable, Hashable {
  public var path: String
  /// Revision of the member's store when the snapshot was taken.
  public var revision: Int64
  /// SHA-256 (hex) of the database bytes, as carried in the stream's trailer.
  public var databaseSHA256: String
  public var databaseBytes: Int
  /// The member that sent it.
  public var memberID: UInt64
}

extension EtcdConnection {
  /// Streams Maintenance.Snapshot into `path` (via `<path>.part`), verifying etcd's SHA-256 trailer before the file
  /// is renamed into place. `timeout` bounds the whole transfer.
  public func saveSnapshot(to path: String, timeout: Duration = .seconds(600),
                           progress: (@Sendable (_ bytes: Int) -> Void)? = nil) async throws(EtcdClientError) -> SavedSnapshot {
    let file = try SnapshotFile(path: path)
    var options = self.options
    options.timeout = timeout
    let callOptions = options
    let header: Etcdserverpb_ResponseHeader
    do {
      header = try await call("Snapshot") { (grpc) async throws -> Etcdserverpb_ResponseHeader in
        try await Etcdserverpb_Maintenance.Client(wrapping: grpc).snapshot(Etcdserverpb_SnapshotRequest(), options: callOptions) { response in
          var header = Etcdserverpb_ResponseHeader()
          var received = 0
          for try await message in response.messages {
            if header.revision == 0, message.hasHeader { header = message.header }
            try file.append(message.blob)
            received += message.blob.count
            progress?(received)
          }
          return header
        }
      }
    } catch {
      // The stream broke part-way (or a write failed): close the handle and leave no partial file behind.
      file.abandon()
      throw error
    }
    // finish() removes the partial file itself when the trailer, the fsync or the rename fails.
    let (sha256, bytes) = try file.finish()
    return SavedSnapshot(path: path, revision: header.revision, databaseSHA256: sha256, databaseBytes: bytes, memberID: header.memberID)
  }
}

extension SnapshotFile: @unchecked Sendable {}
