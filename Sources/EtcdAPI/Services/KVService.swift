// etcdserverpb.KV over a member: each call passes straight to the server.

import EtcdProto
import EtcdServer
import GRPCCore

/// The KV gRPC service.
public struct KVService: Etcdserverpb_KV.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws
    -> Etcdserverpb_RangeResponse
  {
    try await serving { () async throws(ServerError) in try await server.range(request) }
  }

  public func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
    try await serving { () async throws(ServerError) in try await server.put(request) }
  }

  public func deleteRange(request: Etcdserverpb_DeleteRangeRequest, context: ServerContext) async throws
    -> Etcdserverpb_DeleteRangeResponse
  {
    try await serving { () async throws(ServerError) in try await server.deleteRange(request) }
  }

  public func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
    try await serving { () async throws(ServerError) in try await server.txn(request) }
  }

  public func compact(request: Etcdserverpb_CompactionRequest, context: ServerContext) async throws
    -> Etcdserverpb_CompactionResponse
  {
    try await serving { () async throws(ServerError) in try await server.compact(request) }
  }
}
