// etcdserverpb.Cluster over a member. One-member clusters list themselves; membership changes come with clustering.

import EtcdProto
import EtcdServer
import GRPCCore

/// The Cluster gRPC service.
public struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func memberList(request: Etcdserverpb_MemberListRequest, context: ServerContext) async throws
    -> Etcdserverpb_MemberListResponse
  {
    server.memberList()
  }

  public func memberAdd(request: Etcdserverpb_MemberAddRequest, context: ServerContext) async throws
    -> Etcdserverpb_MemberAddResponse
  {
    throw Self.notYet
  }

  public func memberRemove(request: Etcdserverpb_MemberRemoveRequest, context: ServerContext) async throws
    -> Etcdserverpb_MemberRemoveResponse
  {
    throw Self.notYet
  }

  public func memberUpdate(request: Etcdserverpb_MemberUpdateRequest, context: ServerContext) async throws
    -> Etcdserverpb_MemberUpdateResponse
  {
    throw Self.notYet
  }

  public func memberPromote(request: Etcdserverpb_MemberPromoteRequest, context: ServerContext) async throws
    -> Etcdserverpb_MemberPromoteResponse
  {
    throw Self.notYet
  }

  static let notYet = RPCError(
    code: .unimplemented,
    message: "membership changes are not supported by this swetcd build (one-member clusters only); use etcd for clusters")
}
