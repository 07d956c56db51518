// The auth store's operations and refusals, compared with what etcd 3.4.23 answers to the same etcdctl commands.

import EtcdProto
import EtcdServer
import Foundation
import MVCC
import Testing

@Suite struct AuthStoreTests {
  @Test func refusalsUseEtcdsExactStrings() {
    #expect(AuthError.userAlreadyExist.description == "etcdserver: user name already exists")
    #expect(AuthError.userNotFound.description == "etcdserver: user name not found")
    #expect(AuthError.roleAlreadyExist.description == "etcdserver: role name already exists")
    #expect(AuthError.roleNotFound.description == "etcdserver: role name not found")
    #expect(AuthError.permissionNotGranted.description == "etcdserver: permission is not granted to the role")
    #expect(AuthError.roleNotGranted.description == "etcdserver: role is not granted to the user")
    #expect(AuthError.rootUserNotExist.description == "etcdserver: root user does not exist")
    #expect(AuthError.rootRoleNotExist.description == "etcdserver: root user does not have root role")
    #expect(AuthError.invalidAuthManagement.description == "etcdserver: invalid auth management")
    #expect(AuthError.userEmpty.description == "etcdserver: user name is empty")
    #expect(AuthError.roleEmpty.description == "etcdserver: role name is empty")
    #expect(AuthError.authFailed.description == "etcdserver: authentication failed, invalid user ID or password")
    #expect(AuthError.invalidAuthToken.description == "etcdserver: invalid auth token")
    #expect(AuthError.permissionDenied.description == "etcdserver: permission denied")
    #expect(AuthError.authNotEnabled.description == "etcdserver: authentication is not enabled")
    #expect(AuthError.authOldRevision.description == "etcdserver: revision of auth store is old")
    #expect(AuthError.permissionNotGiven.description == "etcdserver: permission not given")
    #expect(AuthError.userNotFound.code == .failedPrecondition)
    #expect(AuthError.authFailed.code == .invalidArgument)
    #expect(AuthError.invalidAuthToken.code == .unauthenticated)
    #expect(AuthError.permissionDenied.code == .permissionDenied)
  }

  @Test func userOperationsAndTheirRefusals() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    #expect(throws: AuthError.userEmpty) { try auth.userAdd(name: "", credential: .noPassword) }
    try auth.userAdd(name: "bob", credential: .hashed(auth.hashPassword("secret")))
    #expect(throws: AuthError.userAlreadyExist) { try auth.userAdd(name: "bob", credential: .noPassword) }
    #expect(throws: AuthError.userNotFound) { try auth.userGet(name: "nosuch") }
    #expect(throws: AuthError.userNotFound) { try auth.userDelete(name: "nosuch") }
    #expect(throws: AuthError.userNotFound) { try auth.userGrantRole(user: "nosuch", role: "root") }
    #expect(throws: AuthError.roleNotFound) { try auth.userGrantRole(user: "bob", role: "nosuch") }
    #expect(throws: AuthError.roleNotGranted) { try auth.userRevokeRole(user: "bob", role: "r1") }
    #expect(throws: AuthError.userNotFound) { try auth.userChangePassword(name: "nosuch", hashedPassword: []) }
    try auth.roleAdd(name: "r2")
    try auth.roleAdd(name: "r1")
    try auth.userGrantRole(user: "bob", role: "r2")
    try auth.userGrantRole(user: "bob", role: "r1")
    try auth.userGrantRole(user: "bob", role: "root")  // root needs no role record
    #expect(try auth.userGet(name: "bob") == ["r1", "r2", "root"])
    try auth.userRevokeRole(user: "bob", role: "r2")
    #expect(try auth.userGet(name: "bob") == ["r1", "root"])
    try auth.userAdd(name: "alice", credential: .noPassword)
    #expect(auth.userList() == ["alice", "bob"])
    try auth.userDelete(name: "alice")
    #expect(auth.userList() == ["bob"])
  }

  @Test func roleOperationsAndTheirRefusals() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    #expect(throws: AuthError.roleEmpty) { try auth.roleAdd(name: "") }
    try auth.roleAdd(name: "r1")
    #expect(throws: AuthError.roleAlreadyExist) { try auth.roleAdd(name: "r1") }
    #expect(throws: AuthError.roleNotFound) { try auth.roleGet(name: "root") }
    #expect(throws: AuthError.roleNotFound) { try auth.roleDelete(name: "nosuch") }
    #expect(throws: AuthError.roleNotFound) { try auth.roleGrantPermission(name: "nosuch", permission: permission(.read, "a")) }
    #expect(throws: AuthError.permissionNotGiven) { try auth.roleGrantPermission(name: "r1", permission: nil) }
    #expect(throws: AuthError.permissionNotGranted) { try auth.roleRevokePermission(name: "r1", key: k("foo"), rangeEnd: []) }
    #expect(throws: AuthError.roleNotFound) { try auth.roleRevokePermission(name: "nosuch", key: k("foo"), rangeEnd: []) }
    try auth.roleGrantPermission(name: "r1", permission: permission(.write, "x", "y"))
    try auth.roleGrantPermission(name: "r1", permission: permission(.read, "b", "a"))
    try auth.roleGrantPermission(name: "r1", permission: permission(.read, "a", "b"))
    try auth.roleGrantPermission(name: "r1", permission: permission(.readwrite, "x", "y"))  // same range: updated
    let perms = try auth.roleGet(name: "r1")
    #expect(perms.map { String(decoding: $0.key, as: UTF8.self) } == ["a", "b", "x"])
    #expect(perms.map(\.permType) == [.read, .read, .readwrite])
    try auth.roleRevokePermission(name: "r1", key: k("b"), rangeEnd: k("a"))
    #expect(try auth.roleGet(name: "r1").count == 2)
    #expect(auth.roleList() == ["r1"])
  }

  @Test func deletingARoleTakesItFromEveryUser() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    try auth.roleAdd(name: "r1")
    try auth.roleAdd(name: "r2")
    try auth.userAdd(name: "u", credential: .noPassword)
    try auth.userGrantRole(user: "u", role: "r1")
    try auth.userGrantRole(user: "u", role: "r2")
    try auth.roleDelete(name: "r2")
    #expect(try auth.userGet(name: "u") == ["r1"])
    #expect(auth.roleList() == ["r1"])
  }

  @Test func enableWithoutRootIsRefused() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    #expect(throws: AuthError.rootUserNotExist) { try auth.authEnable() }
    try auth.userAdd(name: "root", credential: .hashed(auth.hashPassword("pw")))
    #expect(throws: AuthError.rootRoleNotExist) { try auth.authEnable() }
    #expect(!auth.isEnabled)
    try auth.userGrantRole(user: "root", role: "root")
    try auth.authEnable()
    #expect(auth.isEnabled)
    try auth.authEnable()  // again: a no-op
  }

  @Test func rootStaysManageableWhileAuthIsOn() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    let auth = f.auth!
    try auth.roleAdd(name: "root")
    #expect(throws: AuthError.invalidAuthManagement) { try auth.userDelete(name: "root") }
    #expect(throws: AuthError.invalidAuthManagement) { try auth.roleDelete(name: "root") }
    #expect(throws: AuthError.invalidAuthManagement) { try auth.userRevokeRole(user: "root", role: "root") }
    try auth.authDisable()
    try auth.userRevokeRole(user: "root", role: "root")
    try auth.roleDelete(name: "root")
  }

  @Test func authRevisionCountsEveryChange() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    #expect(auth.revision == 1)  // a new store starts at 1, as etcd's does
    try auth.userAdd(name: "root", credential: .noPassword)
    #expect(auth.revision == 2)
    try auth.userGrantRole(user: "root", role: "root")
    #expect(auth.revision == 3)
    try auth.userGrantRole(user: "root", role: "root")  // already granted: nothing changes
    #expect(auth.revision == 3)
    #expect(throws: AuthError.roleNotFound) { try auth.roleDelete(name: "x") }
    #expect(auth.revision == 3)
    try auth.authEnable()  // enabling does not bump (etcd)
    #expect(auth.revision == 3)
    try auth.roleAdd(name: "r")
    try auth.roleGrantPermission(name: "r", permission: permission(.read, "a"))
    #expect(auth.revision == 5)
    try auth.authDisable()
    #expect(auth.revision == 6)
  }

  @Test func refusedEntriesStillRecordTheirIndex() throws {
    let f = try AuthFixture()
    let auth = f.auth!
    try auth.roleAdd(name: "r", applied: ConsistentIndex(index: 5, term: 2))
    #expect(try f.kv.consistentIndex() == ConsistentIndex(index: 5, term: 2))
    #expect(throws: AuthError.roleAlreadyExist) { try auth.roleAdd(name: "r", applied: ConsistentIndex(index: 6, term: 2)) }
    #expect(try f.kv.consistentIndex() == ConsistentIndex(index: 6, term: 2))
  }

  @Test func usersRolesAndTheFlagSurviveReopeningButTokensDoNot() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    try f.auth.roleAdd(name: "r1")
    try f.auth.roleGrantPermission(name: "r1", permission: permission(.read, "a", "c"))
    try f.auth.userAdd(name: "u", credential: .noPassword)
    try f.auth.userGrantRole(user: "u", role: "r1")
    let token = try f.login("root", "pw")
    #expect(try f.auth.authInfo(token: token).username == "root")
    let revision = f.auth.revision
    try f.reopen()
    let auth = f.auth!
    #expect(auth.isEnabled)
    #expect(auth.revision == revision)
    #expect(auth.userList() == ["root", "u"])
    #expect(try auth.userGet(name: "u") == ["r1"])
    #expect(try auth.roleGet(name: "r1") == [permission(.read, "a", "c")])
    #expect(throws: AuthError.invalidAuthToken) { try auth.authInfo(token: token) }
    let u = AuthInfo(username: "u", revision: auth.revision)
    try auth.isRangePermitted(u, key: k("b"), rangeEnd: [])
    _ = try auth.checkPassword(user: "root", password: "pw")
  }

  @Test func recordsAreEtcdsAuthpbMessages() throws {
    let f = try AuthFixture()
    let hash = try f.auth.hashPassword("pw")
    try f.auth.userAdd(name: "bob", credential: .hashed(hash))
    try f.auth.userGrantRole(user: "bob", role: "root")
    try f.auth.roleAdd(name: "r")
    try f.auth.roleGrantPermission(name: "r", permission: permission(.write, "k", "\0"))
    let rows = Dictionary(uniqueKeysWithValues: try f.kv.blobs(.auth).map { ($0.name, $0.value) })
    let user = try Authpb_User(serializedBytes: try #require(rows["authUsers/bob"]))
    #expect(user.name == Data("bob".utf8) && user.roles == ["root"] && [UInt8](user.password) == hash)
    let role = try Authpb_Role(serializedBytes: try #require(rows["authRoles/r"]))
    #expect(role.keyPermission == [permission(.write, "k", "\0")])
    #expect(rows["authRevision"] == [0, 0, 0, 0, 0, 0, 0, 5])
  }
}
