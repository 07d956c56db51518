// etcdserverpb.Lease over a member. KeepAlive is a stream: one answer per request, in order.

import EtcdProto
import EtcdServer
import GRPCCore

/// The Lease gRPC service.
public struct LeaseService: Etcdserverpb_Lease.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func leaseGrant(request: Etcdserverpb_LeaseGrantRequest, context: ServerContext) async throws
    -> Etcdserverpb_LeaseGrantResponse
  {
    try await serving { () async throws(ServerError) in try await server.leaseGrant(request) }
  }

  public func leaseRevoke(request: Etcdserverpb_LeaseRevokeRequest, context: ServerContext) async throws
    -> Etcdserverpb_LeaseRevokeResponse
  {
    try await serving { () async throws(ServerError) in try await server.leaseRevoke(request) }
  }

  public func leaseKeepAlive(
    request: RPCAsyncSequence<Etcdserverpb_LeaseKeepAliveRequest, any Error>,
    response: RPCWriter<Etcdserverpb_LeaseKeepAliveResponse>, context: ServerContext
  ) async throws {
    for try await keepAlive in request {
      let answer = try await serving { () throws(ServerError) in try server.leaseKeepAlive(keepAlive) }
      try await response.write(answer)
    }
  }

  public func leaseTimeToLive(request: Etcdserverpb_LeaseTimeToLiveRequest, context: ServerContext) async throws
    -> Etcdserverpb_LeaseTimeToLiveResponse
  {
    try await serving { () throws(ServerError) in try server.leaseTimeToLive(request) }
  }

  public func leaseLeases(request: Etcdserverpb_LeaseLeasesRequest, context: ServerContext) async throws
    -> Etcdserverpb_LeaseLeasesResponse
  {
    server.leaseLeases()
  }
}
