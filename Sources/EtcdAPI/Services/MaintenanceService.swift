// etcdserverpb.Maintenance over a member.

import EtcdProto
import EtcdServer
import Foundation
import GRPCCore
import MVCC

/// The Maintenance gRPC service.
public struct MaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws
    -> Etcdserverpb_AlarmResponse
  {
    try await serving { () async throws(ServerError) in try await server.alarm(request) }
  }

  public func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws
    -> Etcdserverpb_StatusResponse
  {
    try await serving { () throws(ServerError) in try server.status() }
  }

  public func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws
    -> Etcdserverpb_DefragmentResponse
  {
    try await serving { () throws(ServerError) in try server.defragment() }
  }

  public func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
    try await serving { () throws(ServerError) in try server.hash() }
  }

  public func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws
    -> Etcdserverpb_HashKVResponse
  {
    try await serving { () throws(ServerError) in try server.hashKV(request) }
  }

  /// Streams a consistent copy of the database in 32 KiB chunks; the last chunk ends with the SHA-256 of the
  /// bytes before it (as etcd's snapshot stream, which `etcdctl snapshot save` verifies).
  public func snapshot(
    request: Etcdserverpb_SnapshotRequest, response: RPCWriter<Etcdserverpb_SnapshotResponse>, context: ServerContext
  ) async throws {
    let stream: SnapshotStream
    do { stream = try server.store.snapshot(in: NSTemporaryDirectory()) } catch { throw ServerError.store(error).rpcError }
    defer { stream.close() }
    let header = server.header(revision: server.store.currentRevision)
    while true {
      let chunk: [UInt8]?
      do { chunk = try stream.nextChunk() } catch { throw ServerError.store(error).rpcError }
      guard let chunk else { break }
      var message = Etcdserverpb_SnapshotResponse()
      message.header = header
      message.blob = Data(chunk)
      message.remainingBytes = UInt64(max(0, stream.remainingBytes))
      try await response.write(message)
    }
    // etcd's last message: the SHA-256 of the bytes sent, which etcdctl checks and keeps as the file's trailer.
    var trailer = Etcdserverpb_SnapshotResponse()
    trailer.header = header
    trailer.blob = Data(stream.trailer ?? [])
    try await response.write(trailer)
  }

  /// MoveLeader: in a one-member cluster the only valid transferee is the leader itself.
  public func moveLeader(request: Etcdserverpb_MoveLeaderRequest, context: ServerContext) async throws
    -> Etcdserverpb_MoveLeaderResponse
  {
    guard request.targetID == server.memberID else {
      throw RPCError(code: .failedPrecondition, message: "etcdserver: bad leader transferee")
    }
    var answer = Etcdserverpb_MoveLeaderResponse()
    answer.header = server.header(revision: server.store.currentRevision)
    return answer
  }
}
