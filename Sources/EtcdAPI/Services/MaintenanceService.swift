// etcdserverpb.Maintenance over a member. As etcd 3.4's authMaintenanceServer: Defragment, Hash, HashKV and Snapshot
// need the root role while auth is on; Status, Alarm and MoveLeader need nothing.

import EtcdProto
import EtcdServer
import Foundation
import GRPCCore
import MVCC

/// The Maintenance gRPC service.
public struct MaintenanceService: Etcdserverpb_Maintenance.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func alarm(request: ServerRequest<Etcdserverpb_AlarmRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_AlarmResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.alarm(r, caller: caller) }
  }

  public func status(request: ServerRequest<Etcdserverpb_StatusRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_StatusResponse>
  {
    try await unary(request) { (_, caller) throws(ServerError) in try server.status(caller: caller) }
  }

  public func defragment(request: ServerRequest<Etcdserverpb_DefragmentRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_DefragmentResponse>
  {
    try await unary(request) { (_, caller) throws(ServerError) in try server.defragment(caller: caller) }
  }

  public func hash(request: ServerRequest<Etcdserverpb_HashRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_HashResponse>
  {
    try await unary(request) { (_, caller) throws(ServerError) in try server.hash(caller: caller) }
  }

  public func hashKV(request: ServerRequest<Etcdserverpb_HashKVRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_HashKVResponse>
  {
    try await unary(request) { (r, caller) throws(ServerError) in try server.hashKV(r, caller: caller) }
  }

  /// Streams a consistent copy of the database in 32 KiB chunks; the last chunk ends with the SHA-256 of the
  /// bytes before it (as etcd's snapshot stream, which `etcdctl snapshot save` verifies).
  public func snapshot(request: ServerRequest<Etcdserverpb_SnapshotRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<Etcdserverpb_SnapshotResponse>
  {
    try await serving { () throws(ServerError) in try server.requireAdmin(Caller(metadata: request.metadata)) }
    return StreamingServerResponse { [server] response in
      let stream: SnapshotStream
      do throws(MVCCError) { stream = try server.store.snapshot(in: NSTemporaryDirectory()) } catch {
        throw ServerError.store(error).rpcError
      }
      defer { stream.close() }
      let header = server.header(revision: server.store.currentRevision)
      while true {
        let chunk: [UInt8]?
        do throws(MVCCError) { chunk = try stream.nextChunk() } catch { throw ServerError.store(error).rpcError }
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
      return [:]
    }
  }

  /// MoveLeader: in a one-member cluster the only valid transferee is the leader itself.
  public func moveLeader(request: ServerRequest<Etcdserverpb_MoveLeaderRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_MoveLeaderResponse>
  {
    guard request.message.targetID == server.memberID else {
      throw RPCError(code: .failedPrecondition, message: "etcdserver: bad leader transferee")
    }
    var answer = Etcdserverpb_MoveLeaderResponse()
    answer.header = server.header(revision: server.store.currentRevision)
    return ServerResponse(message: answer)
  }
}
