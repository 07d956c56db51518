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

  /// Streams a consistent copy of the database in 32 KiB chunks, then its SHA-256 (`EtcdServer.snapshot`), each
  /// message with the member's header.
  public func snapshot(request: ServerRequest<Etcdserverpb_SnapshotRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<Etcdserverpb_SnapshotResponse>
  {
    let caller = Caller(metadata: request.metadata)
    return StreamingServerResponse { [server] response in
      let header = server.header(revision: server.store.currentRevision)
      do {
        try await server.snapshot(caller: caller) { message in
          var message = message
          message.header = header
          try await response.write(message)
        }
      } catch let error as ServerError {
        throw error.rpcError
      }
      return [:]
    }
  }

  public func moveLeader(request: ServerRequest<Etcdserverpb_MoveLeaderRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_MoveLeaderResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.moveLeader(r, caller: caller) }
  }
}
