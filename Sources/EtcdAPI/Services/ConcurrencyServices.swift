// v3lockpb.Lock and v3electionpb.Election over a member (etcd serves both on the client port).

import EtcdProto
import EtcdServer
import GRPCCore

/// The Lock gRPC service.
public struct LockService: V3lockpb_Lock.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func lock(request: V3lockpb_LockRequest, context: ServerContext) async throws -> V3lockpb_LockResponse {
    try await serving { () async throws(ServerError) in try await server.lock(request) }
  }

  public func unlock(request: V3lockpb_UnlockRequest, context: ServerContext) async throws -> V3lockpb_UnlockResponse {
    try await serving { () async throws(ServerError) in try await server.unlock(request) }
  }
}

/// The Election gRPC service.
public struct ElectionService: V3electionpb_Election.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func campaign(request: V3electionpb_CampaignRequest, context: ServerContext) async throws
    -> V3electionpb_CampaignResponse
  {
    try await serving { () async throws(ServerError) in try await server.campaign(request) }
  }

  public func proclaim(request: V3electionpb_ProclaimRequest, context: ServerContext) async throws
    -> V3electionpb_ProclaimResponse
  {
    try await serving { () async throws(ServerError) in try await server.proclaim(request) }
  }

  public func leader(request: V3electionpb_LeaderRequest, context: ServerContext) async throws
    -> V3electionpb_LeaderResponse
  {
    try await serving { () async throws(ServerError) in try await server.leader(request) }
  }

  public func observe(
    request: V3electionpb_LeaderRequest, response: RPCWriter<V3electionpb_LeaderResponse>, context: ServerContext
  ) async throws {
    do {
      try await server.observe(request) { try await response.write($0) }
    } catch let error as ServerError {
      throw error.rpcError
    }
  }

  public func resign(request: V3electionpb_ResignRequest, context: ServerContext) async throws
    -> V3electionpb_ResignResponse
  {
    try await serving { () async throws(ServerError) in try await server.resign(request) }
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
    response.status = server.raftStatus.leader != 0 ? .serving : .notServing
    return response
  }

  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    try await response.write(try await check(request: request, context: context))
  }
}
