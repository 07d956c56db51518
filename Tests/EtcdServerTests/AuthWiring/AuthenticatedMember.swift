import EtcdProto
import EtcdServer
import Foundation
import TestSupport

/// A one-member server with auth on: user root (role root) and user alice (role "r": readwrite on the prefix /a/),
/// both with password "pw", and a token for each. bcrypt runs at cost 4 to keep the tests quick.
final class AuthenticatedMember {
  let directory = makeTemporaryDirectory("swetcd-auth")
  let server: EtcdServer
  private(set) var root = Caller()
  private(set) var alice = Caller()

  init() async throws {
    var settings = MemberSettings(dataDirectory: directory + "/data")
    settings.unsafeNoFsync = true
    settings.bcryptCost = 4
    server = try EtcdServer(settings: settings, log: ServerLog(minimum: .error))
    let none = Caller.anonymous
    for name in ["root", "alice"] {
      var add = Etcdserverpb_AuthUserAddRequest()
      add.name = name
      add.password = "pw"
      _ = try await server.userAdd(add, caller: none)
    }
    _ = try await server.userGrantRole(Self.grant("root", "root"), caller: none)
    var role = Etcdserverpb_AuthRoleAddRequest()
    role.name = "r"
    _ = try await server.roleAdd(role, caller: none)
    _ = try await server.roleGrantPermission(Self.permission("r", .readwrite, "/a/", prefix: true), caller: none)
    _ = try await server.userGrantRole(Self.grant("alice", "r"), caller: none)
    _ = try await server.authEnable(Etcdserverpb_AuthEnableRequest(), caller: none)
    root = Caller(token: try await login("root"))
    alice = Caller(token: try await login("alice"))
  }

  func login(_ name: String, password: String = "pw") async throws -> String {
    var request = Etcdserverpb_AuthenticateRequest()
    request.name = name
    request.password = password
    return try await server.authenticate(request, caller: .anonymous).token
  }

  func close() {
    server.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  static func grant(_ user: String, _ role: String) -> Etcdserverpb_AuthUserGrantRoleRequest {
    var request = Etcdserverpb_AuthUserGrantRoleRequest()
    request.user = user
    request.role = role
    return request
  }

  static func permission(
    _ role: String, _ type: Authpb_Permission.TypeEnum, _ key: String, prefix: Bool = false
  ) -> Etcdserverpb_AuthRoleGrantPermissionRequest {
    var request = Etcdserverpb_AuthRoleGrantPermissionRequest()
    request.name = role
    request.perm.permType = type
    request.perm.key = Data(key.utf8)
    if prefix {
      var end = Array(key.utf8)
      end[end.count - 1] += 1
      request.perm.rangeEnd = Data(end)
    }
    return request
  }

  static func put(_ key: String, lease: Int64 = 0, prevKV: Bool = false) -> Etcdserverpb_PutRequest {
    var request = Etcdserverpb_PutRequest()
    request.key = Data(key.utf8)
    request.value = Data("v".utf8)
    request.lease = lease
    request.prevKv = prevKV
    return request
  }

  static func get(_ key: String) -> Etcdserverpb_RangeRequest {
    var request = Etcdserverpb_RangeRequest()
    request.key = Data(key.utf8)
    return request
  }

  static func delete(_ key: String, prevKV: Bool = false) -> Etcdserverpb_DeleteRangeRequest {
    var request = Etcdserverpb_DeleteRangeRequest()
    request.key = Data(key.utf8)
    request.prevKv = prevKV
    return request
  }

  static func op(_ put: Etcdserverpb_PutRequest) -> Etcdserverpb_RequestOp {
    var op = Etcdserverpb_RequestOp()
    op.requestPut = put
    return op
  }

  static func op(_ range: Etcdserverpb_RangeRequest) -> Etcdserverpb_RequestOp {
    var op = Etcdserverpb_RequestOp()
    op.requestRange = range
    return op
  }

  static func op(_ txn: Etcdserverpb_TxnRequest) -> Etcdserverpb_RequestOp {
    var op = Etcdserverpb_RequestOp()
    op.requestTxn = txn
    return op
  }
}
