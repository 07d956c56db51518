// etcdserverpb.Lease over a member. KeepAlive is a stream: one answer per request, in order.

import EtcdProto
import EtcdServer
import GRPCCore

/// The Lease gRPC service.
public struct LeaseService: Etcdserverpb_Lease.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func leaseGrant(request: ServerRequest<Etcdserverpb_LeaseGrantRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_LeaseGrantResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.leaseGrant(r, caller: caller)
    }
  }

  public func leaseRevoke(request: ServerRequest<Etcdserverpb_LeaseRevokeRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_LeaseRevokeResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.leaseRevoke(r, caller: caller)
    }
  }

  public func leaseKeepAlive(
    request: StreamingServerRequest<Etcdserverpb_LeaseKeepAliveRequest>, context: ServerContext
  ) async throws -> StreamingServerResponse<Etcdserverpb_LeaseKeepAliveResponse> {
    let caller = Caller(metadata: request.metadata)
    return StreamingServerResponse { [server] response in
      for try await keepAlive in request.messages {
        let answer = try await serving { () throws(ServerError) in
          try server.leaseKeepAlive(keepAlive, caller: caller)
        }
        try await response.write(answer)
      }
      return [:]
    }
  }

  public func leaseTimeToLive(request: ServerRequest<Etcdserverpb_LeaseTimeToLiveRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_LeaseTimeToLiveResponse>
  {
    try await unary(request) { (r, caller) throws(ServerError) in try server.leaseTimeToLive(r, caller: caller) }
  }

  public func leaseLeases(request: ServerRequest<Etcdserverpb_LeaseLeasesRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_LeaseLeasesResponse>
  {
    try await unary(request) { (_, caller) throws(ServerError) in server.leaseLeases(caller: caller) }
  }
}
