// etcdserverpb.KV over a member: each call passes straight to the server with the caller's credentials.

import EtcdProto
import EtcdServer
import GRPCCore

/// The KV gRPC service.
public struct KVService: Etcdserverpb_KV.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func range(request: ServerRequest<Etcdserverpb_RangeRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_RangeResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.range(r, caller: caller) }
  }

  public func put(request: ServerRequest<Etcdserverpb_PutRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_PutResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.put(r, caller: caller) }
  }

  public func deleteRange(request: ServerRequest<Etcdserverpb_DeleteRangeRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_DeleteRangeResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.deleteRange(r, caller: caller)
    }
  }

  public func txn(request: ServerRequest<Etcdserverpb_TxnRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_TxnResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.txn(r, caller: caller) }
  }

  public func compact(request: ServerRequest<Etcdserverpb_CompactionRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_CompactionResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.compact(r, caller: caller) }
  }
}
