// etcdserverpb.Auth over a member: every call goes through Raft with the caller's identity (see
// EtcdServer+Auth.swift); admin permission is checked when the request applies, as in etcd 3.4.

import EtcdProto
import EtcdServer
import GRPCCore

/// The Auth gRPC service.
public struct AuthService: Etcdserverpb_Auth.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func authEnable(
    request: ServerRequest<Etcdserverpb_AuthEnableRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthEnableResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.authEnable(r, caller: caller)
    }
  }

  public func authDisable(
    request: ServerRequest<Etcdserverpb_AuthDisableRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthDisableResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.authDisable(r, caller: caller)
    }
  }

  public func authenticate(
    request: ServerRequest<Etcdserverpb_AuthenticateRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthenticateResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.authenticate(r, caller: caller)
    }
  }

  public func userAdd(
    request: ServerRequest<Etcdserverpb_AuthUserAddRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserAddResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userAdd(r, caller: caller)
    }
  }

  public func userGet(
    request: ServerRequest<Etcdserverpb_AuthUserGetRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserGetResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userGet(r, caller: caller)
    }
  }

  public func userList(
    request: ServerRequest<Etcdserverpb_AuthUserListRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserListResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userList(r, caller: caller)
    }
  }

  public func userDelete(
    request: ServerRequest<Etcdserverpb_AuthUserDeleteRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserDeleteResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userDelete(r, caller: caller)
    }
  }

  public func userChangePassword(
    request: ServerRequest<Etcdserverpb_AuthUserChangePasswordRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserChangePasswordResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userChangePassword(r, caller: caller)
    }
  }

  public func userGrantRole(
    request: ServerRequest<Etcdserverpb_AuthUserGrantRoleRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserGrantRoleResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userGrantRole(r, caller: caller)
    }
  }

  public func userRevokeRole(
    request: ServerRequest<Etcdserverpb_AuthUserRevokeRoleRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthUserRevokeRoleResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.userRevokeRole(r, caller: caller)
    }
  }

  public func roleAdd(
    request: ServerRequest<Etcdserverpb_AuthRoleAddRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleAddResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleAdd(r, caller: caller)
    }
  }

  public func roleGet(
    request: ServerRequest<Etcdserverpb_AuthRoleGetRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleGetResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleGet(r, caller: caller)
    }
  }

  public func roleList(
    request: ServerRequest<Etcdserverpb_AuthRoleListRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleListResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleList(r, caller: caller)
    }
  }

  public func roleDelete(
    request: ServerRequest<Etcdserverpb_AuthRoleDeleteRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleDeleteResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleDelete(r, caller: caller)
    }
  }

  public func roleGrantPermission(
    request: ServerRequest<Etcdserverpb_AuthRoleGrantPermissionRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleGrantPermissionResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleGrantPermission(r, caller: caller)
    }
  }

  public func roleRevokePermission(
    request: ServerRequest<Etcdserverpb_AuthRoleRevokePermissionRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_AuthRoleRevokePermissionResponse> {
    try await unary(request) { (r, caller) async throws(ServerError) in
      try await server.roleRevokePermission(r, caller: caller)
    }
  }
}
