// The Auth service of a member (etcd 3.4's v3_server.go): every auth request goes through Raft with the caller's
// identity in its header, and the applier checks admin permission at apply time. Passwords are hashed, and checked
// for Authenticate, on the proposing side, off the cooperative pool; the log carries only hashes.

import EtcdProto
import Foundation

extension EtcdServer {
  /// AuthEnable: refused unless user root exists with role root.
  public func authEnable(_ request: Etcdserverpb_AuthEnableRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthEnableResponse
  {
    try await change(.authEnable(request), caller: caller)
  }

  /// AuthDisable: every token stops working.
  public func authDisable(_ request: Etcdserverpb_AuthDisableRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthDisableResponse
  {
    try await change(.authDisable(request), caller: caller)
  }

  /// Authenticate: checks the password here (bcrypt, off the pool), then proposes the token's issue; when the auth
  /// revision moved meanwhile (a password change, say), checks again (etcd's loop).
  public func authenticate(_ request: Etcdserverpb_AuthenticateRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthenticateResponse
  {
    try await linearizableBarrier()
    let auth = self.auth
    while true {
      let name = request.name
      let password = request.password
      let checked: UInt64
      do {
        checked = try await PasswordWork.run { () throws(AuthError) -> UInt64 in
          try auth.checkPassword(user: name, password: password)
        }
      } catch {
        if error != .authNotEnabled { log.warn("invalid authentication was requested", ["user": name]) }
        throw .auth(error)
      }
      var issue = Etcdserverpb_AuthenticateRequest()
      issue.name = name
      issue.password = auth.makeTokenPrefix()
      let (outcome, header) = try await proposeAuth(.authenticate(issue), as: nil)
      guard checked == auth.revision else {
        log.info("revision when password checked became stale; retrying")
        continue
      }
      guard case .token(let token) = outcome else { throw Self.mismatch }
      var response = Etcdserverpb_AuthenticateResponse()
      response.header = header
      response.token = token
      return response
    }
  }

  /// UserAdd: the password is hashed here at --bcrypt-cost (not for `--no-password` users).
  public func userAdd(_ request: Etcdserverpb_AuthUserAddRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthUserAddResponse
  {
    var proposal = request
    if !(request.hasOptions && request.options.noPassword) && !request.name.isEmpty {
      proposal.password = try await hashed(request.password)
    } else {
      proposal.password = ""
    }
    return try await change(.userAdd(proposal), caller: caller)
  }

  public func userDelete(_ request: Etcdserverpb_AuthUserDeleteRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthUserDeleteResponse
  {
    try await change(.userDelete(request), caller: caller)
  }

  /// UserChangePassword: the new password is hashed here.
  public func userChangePassword(_ request: Etcdserverpb_AuthUserChangePasswordRequest, caller: Caller)
    async throws(ServerError) -> Etcdserverpb_AuthUserChangePasswordResponse
  {
    var proposal = request
    proposal.password = try await hashed(request.password)
    return try await change(.userChangePassword(proposal), caller: caller)
  }

  public func userGrantRole(_ request: Etcdserverpb_AuthUserGrantRoleRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthUserGrantRoleResponse
  {
    try await change(.userGrantRole(request), caller: caller)
  }

  public func userRevokeRole(_ request: Etcdserverpb_AuthUserRevokeRoleRequest, caller: Caller)
    async throws(ServerError) -> Etcdserverpb_AuthUserRevokeRoleResponse
  {
    try await change(.userRevokeRole(request), caller: caller)
  }

  /// UserGet: root, or the user itself.
  public func userGet(_ request: Etcdserverpb_AuthUserGetRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthUserGetResponse
  {
    let (outcome, header) = try await proposeAuth(.userGet(request), caller: caller)
    guard case .user(let roles) = outcome else { throw Self.mismatch }
    var response = Etcdserverpb_AuthUserGetResponse()
    response.header = header
    response.roles = roles
    return response
  }

  public func userList(_ request: Etcdserverpb_AuthUserListRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthUserListResponse
  {
    let (outcome, header) = try await proposeAuth(.userList(request), caller: caller)
    guard case .names(let names) = outcome else { throw Self.mismatch }
    var response = Etcdserverpb_AuthUserListResponse()
    response.header = header
    response.users = names
    return response
  }

  public func roleAdd(_ request: Etcdserverpb_AuthRoleAddRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthRoleAddResponse
  {
    try await change(.roleAdd(request), caller: caller)
  }

  public func roleDelete(_ request: Etcdserverpb_AuthRoleDeleteRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthRoleDeleteResponse
  {
    try await change(.roleDelete(request), caller: caller)
  }

  public func roleGrantPermission(_ request: Etcdserverpb_AuthRoleGrantPermissionRequest, caller: Caller)
    async throws(ServerError) -> Etcdserverpb_AuthRoleGrantPermissionResponse
  {
    try await change(.roleGrantPermission(request), caller: caller)
  }

  public func roleRevokePermission(_ request: Etcdserverpb_AuthRoleRevokePermissionRequest, caller: Caller)
    async throws(ServerError) -> Etcdserverpb_AuthRoleRevokePermissionResponse
  {
    try await change(.roleRevokePermission(request), caller: caller)
  }

  /// RoleGet: root, or a holder of the role.
  public func roleGet(_ request: Etcdserverpb_AuthRoleGetRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthRoleGetResponse
  {
    let (outcome, header) = try await proposeAuth(.roleGet(request), caller: caller)
    guard case .role(let permissions) = outcome else { throw Self.mismatch }
    var response = Etcdserverpb_AuthRoleGetResponse()
    response.header = header
    response.perm = permissions
    return response
  }

  public func roleList(_ request: Etcdserverpb_AuthRoleListRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AuthRoleListResponse
  {
    let (outcome, header) = try await proposeAuth(.roleList(request), caller: caller)
    guard case .names(let names) = outcome else { throw Self.mismatch }
    var response = Etcdserverpb_AuthRoleListResponse()
    response.header = header
    response.roles = names
    return response
  }

  // MARK: Helpers

  /// Proposes a change and answers with its response type's header.
  private func change<Response: AuthChangeResponse>(_ request: RaftRequest, caller: Caller) async throws(ServerError)
    -> Response
  {
    var response = Response()
    response.header = try await proposeAuth(request, caller: caller).header
    return response
  }

  private func proposeAuth(_ request: RaftRequest, caller: Caller) async throws(ServerError)
    -> (outcome: AuthApplied, header: Etcdserverpb_ResponseHeader)
  {
    try await proposeAuth(request, as: try headerIdentity(of: caller))
  }

  private func proposeAuth(_ request: RaftRequest, as identity: AuthInfo?) async throws(ServerError)
    -> (outcome: AuthApplied, header: Etcdserverpb_ResponseHeader)
  {
    guard case .auth(let outcome, let revision) = try await propose(request, as: identity) else { throw Self.mismatch }
    return (outcome, header(revision: revision))
  }

  /// The bcrypt hash of `password` as the proposal carries it (ASCII "$2b$...").
  private func hashed(_ password: String) async throws(ServerError) -> String {
    let auth = self.auth
    do {
      let hash = try await PasswordWork.run { () throws(AuthError) -> [UInt8] in try auth.hashPassword(password) }
      return String(decoding: hash, as: UTF8.self)
    } catch {
      throw .auth(error)
    }
  }
}

/// The auth responses that carry nothing but a header.
protocol AuthChangeResponse {
  init()
  var header: Etcdserverpb_ResponseHeader { get set }
}

extension Etcdserverpb_AuthEnableResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthDisableResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthUserAddResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthUserDeleteResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthUserChangePasswordResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthUserGrantRoleResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthUserRevokeRoleResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthRoleAddResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthRoleDeleteResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthRoleGrantPermissionResponse: AuthChangeResponse {}
extension Etcdserverpb_AuthRoleRevokePermissionResponse: AuthChangeResponse {}
