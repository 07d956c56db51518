// etcdserverpb.Cluster over a member: membership changes with the caller's credentials (admin only while auth is
// on); a promote that reaches a follower is forwarded to the leader, which alone knows whether the learner is in
// sync (etcd forwards it too).

import EtcdProto
import EtcdServer
import GRPCCore

/// The Cluster gRPC service.
public struct ClusterService: Etcdserverpb_Cluster.ServiceProtocol {
  let server: EtcdServer
  let forwarder: LeaderForwarder

  public init(server: EtcdServer, forwarder: LeaderForwarder = LeaderForwarder()) {
    self.server = server
    self.forwarder = forwarder
  }

  public func memberList(request: ServerRequest<Etcdserverpb_MemberListRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_MemberListResponse>
  {
    ServerResponse(message: server.memberList())
  }

  public func memberAdd(request: ServerRequest<Etcdserverpb_MemberAddRequest>, context: ServerContext) async throws
    -> ServerResponse<Etcdserverpb_MemberAddResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in try await server.memberAdd(r, caller: caller) }
  }

  public func memberRemove(request: ServerRequest<Etcdserverpb_MemberRemoveRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_MemberRemoveResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.memberRemove(r, caller: caller)
    }
  }

  public func memberUpdate(request: ServerRequest<Etcdserverpb_MemberUpdateRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_MemberUpdateResponse>
  {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.memberUpdate(r, caller: caller)
    }
  }

  public func memberPromote(request: ServerRequest<Etcdserverpb_MemberPromoteRequest>, context: ServerContext)
    async throws -> ServerResponse<Etcdserverpb_MemberPromoteResponse>
  {
    do {
      return ServerResponse(message: try await forwarder.memberPromote(
        request.message, on: server, caller: Caller(metadata: request.metadata), metadata: request.metadata))
    } catch let error as ServerError {
      throw error.rpcError
    }
  }
}
