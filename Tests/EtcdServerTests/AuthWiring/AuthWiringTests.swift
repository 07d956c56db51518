import EtcdProto
import EtcdServer
import Foundation
import Testing

/// Auth wired into the member's requests, as etcd 3.4 checks them: reads before reading, writes when they apply
/// (against the auth revision in the entry's header), admin-only calls, tokens.
@Suite struct AuthWiringTests {
  typealias M = AuthenticatedMember

  @Test func requestsWithoutCredentialsAreRefusedWhileAuthIsOn() async throws {
    let member = try await M()
    defer { member.close() }
    let server = member.server
    await #expect(throws: ServerError.auth(.userEmpty)) { try await server.range(M.get("/a/x"), caller: .anonymous) }
    await #expect(throws: ServerError.auth(.userEmpty)) { try await server.put(M.put("/a/x"), caller: .anonymous) }
    await #expect(throws: ServerError.auth(.invalidAuthToken)) {
      try await server.range(M.get("/a/x"), caller: Caller(token: "forged.7"))
    }
    #expect(ServerError.auth(.userEmpty).description == "etcdserver: user name is empty")
    #expect(ServerError.auth(.invalidAuthToken).code == .unauthenticated)
  }

  @Test func aUserReadsAndWritesOnlyWhereItsRoleAllows() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, alice) = (member.server, member.alice)
    _ = try await server.put(M.put("/a/x"), caller: alice)
    #expect(try await server.range(M.get("/a/x"), caller: alice).kvs.count == 1)
    await #expect(throws: ServerError.auth(.permissionDenied)) { try await server.put(M.put("/b"), caller: alice) }
    await #expect(throws: ServerError.auth(.permissionDenied)) { try await server.range(M.get("/b"), caller: alice) }
    await #expect(throws: ServerError.auth(.permissionDenied)) {
      try await server.deleteRange(M.delete("/b"), caller: alice)
    }
    // Root may do anything.
    _ = try await server.put(M.put("/b"), caller: member.root)
    #expect(try await server.range(M.get("/b"), caller: member.root).kvs.count == 1)
  }

  @Test func prevKVNeedsReadPermissionOnPutAndDelete() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, root) = (member.server, member.root)
    var role = Etcdserverpb_AuthRoleAddRequest()
    role.name = "w"
    _ = try await server.roleAdd(role, caller: root)
    _ = try await server.roleGrantPermission(M.permission("w", .write, "/w/", prefix: true), caller: root)
    _ = try await server.userGrantRole(M.grant("alice", "w"), caller: root)
    let alice = Caller(token: try await member.login("alice"))
    _ = try await server.put(M.put("/w/k"), caller: alice)
    await #expect(throws: ServerError.auth(.permissionDenied)) {
      try await server.put(M.put("/w/k", prevKV: true), caller: alice)
    }
    await #expect(throws: ServerError.auth(.permissionDenied)) {
      try await server.deleteRange(M.delete("/w/k", prevKV: true), caller: alice)
    }
    _ = try await server.deleteRange(M.delete("/w/k"), caller: alice)
  }

  @Test func aTxnIsCheckedOnBothBranchesAndInsideNestedTxns() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, alice) = (member.server, member.alice)
    var nested = Etcdserverpb_TxnRequest()
    nested.success = [M.op(M.put("/b"))]
    var write = Etcdserverpb_TxnRequest()
    write.success = [M.op(M.put("/a/1"))]
    write.failure = [M.op(nested)]
    await #expect(throws: ServerError.auth(.permissionDenied)) { try await server.txn(write, caller: alice) }
    var read = Etcdserverpb_TxnRequest()
    read.success = [M.op(M.get("/a/1"))]
    read.failure = [M.op(M.get("/b"))]
    await #expect(throws: ServerError.auth(.permissionDenied)) { try await server.txn(read, caller: alice) }
    var allowed = Etcdserverpb_TxnRequest()
    allowed.success = [M.op(M.put("/a/1"))]
    allowed.failure = [M.op(M.get("/a/2"))]
    #expect(try await server.txn(allowed, caller: alice).succeeded)
  }

  @Test func revokingOrReusingALeaseNeedsWritePermissionOnEveryAttachedKey() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, root, alice) = (member.server, member.root, member.alice)
    var grant = Etcdserverpb_LeaseGrantRequest()
    grant.ttl = 60
    let lease = try await server.leaseGrant(grant, caller: root).id
    _ = try await server.put(M.put("/b/k", lease: lease), caller: root)
    var revoke = Etcdserverpb_LeaseRevokeRequest()
    revoke.id = lease
    await #expect(throws: ServerError.auth(.permissionDenied)) { try await server.leaseRevoke(revoke, caller: alice) }
    await #expect(throws: ServerError.auth(.permissionDenied)) {
      try await server.put(M.put("/a/k", lease: lease), caller: alice)
    }
    _ = try await server.leaseRevoke(revoke, caller: root)
    #expect(try await server.range(M.get("/b/k"), caller: root).kvs.isEmpty)
  }

  @Test func aWriteCheckedAtAnOlderAuthRevisionIsRefusedWhenItApplies() async throws {
    let member = try await M()
    defer { member.close() }
    let server = member.server
    let before = server.auth.revision
    var role = Etcdserverpb_AuthRoleAddRequest()
    role.name = "later"
    _ = try await server.roleAdd(role, caller: member.root)
    #expect(server.auth.revision > before)
    await #expect(throws: ServerError.auth(.authOldRevision)) {
      try await server.propose(.put(M.put("/a/x")), as: AuthInfo(username: "alice", revision: before))
    }
    #expect(ServerError.auth(.authOldRevision).description == "etcdserver: revision of auth store is old")
  }

  @Test func tokensStopWorkingOnceAuthIsDisabled() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, root) = (member.server, member.root)
    _ = try await server.authDisable(Etcdserverpb_AuthDisableRequest(), caller: root)
    // Off: no credentials needed.
    _ = try await server.put(M.put("/b"), caller: .anonymous)
    _ = try await server.authEnable(Etcdserverpb_AuthEnableRequest(), caller: .anonymous)
    await #expect(throws: ServerError.auth(.invalidAuthToken)) { try await server.range(M.get("/b"), caller: root) }
    let fresh = Caller(token: try await member.login("root"))
    #expect(try await server.range(M.get("/b"), caller: fresh).kvs.count == 1)
  }

  @Test func adminCallsNeedTheRootRole() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, root, alice) = (member.server, member.root, member.alice)
    await #expect(throws: ServerError.auth(.permissionDenied)) {
      try await server.userList(Etcdserverpb_AuthUserListRequest(), caller: alice)
    }
    #expect(try await server.userList(Etcdserverpb_AuthUserListRequest(), caller: root).users == ["alice", "root"])
    var own = Etcdserverpb_AuthUserGetRequest()
    own.name = "alice"
    #expect(try await server.userGet(own, caller: alice).roles == ["r"])
    #expect(throws: ServerError.auth(.permissionDenied)) { try server.hash(caller: alice) }
    _ = try server.hash(caller: root)
    #expect(throws: ServerError.auth(.userEmpty)) { try server.defragment(caller: .anonymous) }
  }

  @Test func aWrongPasswordIsRefusedWithEtcdsText() async throws {
    let member = try await M()
    defer { member.close() }
    await #expect(throws: ServerError.auth(.authFailed)) { try await member.login("alice", password: "nope") }
    #expect(ServerError.auth(.authFailed).description == "etcdserver: authentication failed, invalid user ID or password")
  }

  @Test func aWatchIsAllowedOnlyOnReadableKeys() async throws {
    let member = try await M()
    defer { member.close() }
    let (server, alice) = (member.server, member.alice)
    var create = Etcdserverpb_WatchCreateRequest()
    create.key = Data("/a/".utf8)
    create.rangeEnd = Data("/a0".utf8)
    #expect(server.isWatchPermitted(create, caller: alice))
    create.key = Data("/b".utf8)
    create.rangeEnd = Data()
    #expect(!server.isWatchPermitted(create, caller: alice))
    #expect(!server.isWatchPermitted(create, caller: .anonymous))
    let refusal = server.watchPermissionDenied(create)
    #expect(refusal.created && refusal.canceled)
    #expect(refusal.cancelReason == "rpc error: code = PermissionDenied desc = etcdserver: permission denied")
  }
}
