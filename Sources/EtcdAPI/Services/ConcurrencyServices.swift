// v3lockpb.Lock and v3electionpb.Election over a member (etcd serves both on the client port).

import EtcdProto
import EtcdServer
import GRPCCore

/// The Lock gRPC service (its calls are checked as the KV operations they make, with the caller's credentials).
public struct LockService: V3lockpb_Lock.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func lock(request: ServerRequest<V3lockpb_LockRequest>, context: ServerContext) async throws
    -> ServerResponse<V3lockpb_LockResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.lock(r, caller: caller) }
  }

  public func unlock(request: ServerRequest<V3lockpb_UnlockRequest>, context: ServerContext) async throws
    -> ServerResponse<V3lockpb_UnlockResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.unlock(r, caller: caller) }
  }
}

/// The Election gRPC service (checked as the KV operations it makes).
public struct ElectionService: V3electionpb_Election.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func campaign(request: ServerRequest<V3electionpb_CampaignRequest>, context: ServerContext) async throws
    -> ServerResponse<V3electionpb_CampaignResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.campaign(r, caller: caller) }
  }

  public func proclaim(request: ServerRequest<V3electionpb_ProclaimRequest>, context: ServerContext) async throws
    -> ServerResponse<V3electionpb_ProclaimResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.proclaim(r, caller: caller) }
  }

  public func leader(request: ServerRequest<V3electionpb_LeaderRequest>, context: ServerContext) async throws
    -> ServerResponse<V3electionpb_LeaderResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.leader(r, caller: caller) }
  }

  public func observe(request: ServerRequest<V3electionpb_LeaderRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<V3electionpb_LeaderResponse>
  {
    let caller = Caller(metadata: request.metadata)
    return StreamingServerResponse { [server] response in
      do {
        try await server.observe(request.message, caller: caller) { try await response.write($0) }
      } catch let error as ServerError {
        throw error.rpcError
      }
      return [:]
    }
  }

  public func resign(request: ServerRequest<V3electionpb_ResignRequest>, context: ServerContext) async throws
    -> ServerResponse<V3electionpb_ResignResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.resign(r, caller: caller) }
  }
}

/// grpc.health.v1.Health: SERVING while the member has a leader, as etcd's health server reports.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
    -> Grpc_Health_V1_HealthCheckResponse
  {
    var response = Grpc_Health_V1_HealthCheckResponse()
    response.status = server.hasLeader ? .serving : .notServing
    return response
  }

  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    try await response.write(try await check(request: request, context: context))
  }
}
