// Permission checks: etcd's merged-interval semantics (a range is allowed only when the union of the user's
// intervals covers it), prefix and from-key grants, root, stale revisions, admin checks. The cases marked "etcd"
// were checked against etcd 3.4.23 with etcdctl.

import EtcdProto
import EtcdServer
import Testing

@Suite struct PermissionTests {
  /// Auth on, user u (password-less) holding role r with `grants`.
  func fixture(_ grants: [Authpb_Permission]) throws -> (AuthFixture, AuthInfo) {
    let f = try AuthFixture()
    try f.enableWithRoot()
    try f.auth.roleAdd(name: "r")
    for grant in grants { try f.auth.roleGrantPermission(name: "r", permission: grant) }
    try f.auth.userAdd(name: "u", credential: .noPassword)
    try f.auth.userGrantRole(user: "u", role: "r")
    return (f, AuthInfo(username: "u", revision: f.auth.revision))
  }

  @Test func singleKeyGrantAllowsOnlyThatKey() throws {
    let (f, u) = try fixture([permission(.read, "a")])
    try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: [])
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("ab"), rangeEnd: []) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: k("b")) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isPutPermitted(u, key: k("a")) }
  }

  @Test func prefixGrantCoversRangesInside() throws {
    // etcdctl role grant-permission r write x --prefix stores [x, y).
    let (f, u) = try fixture([permission(.write, "x", "y")])
    try f.auth.isPutPermitted(u, key: k("x1"))
    try f.auth.isDeleteRangePermitted(u, key: k("x"), rangeEnd: k("y"))
    try f.auth.isDeleteRangePermitted(u, key: k("x1"), rangeEnd: k("x9"))
    #expect(throws: AuthError.permissionDenied) { try f.auth.isPutPermitted(u, key: k("y")) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isDeleteRangePermitted(u, key: k("x"), rangeEnd: k("z")) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("x1"), rangeEnd: []) }
  }

  @Test func fromKeyGrantIsOpenEnded() throws {
    let (f, u) = try fixture([permission(.read, "y", "\0")])
    try f.auth.isRangePermitted(u, key: k("y"), rangeEnd: [])
    try f.auth.isRangePermitted(u, key: k("yy"), rangeEnd: k("zz"))  // etcd
    try f.auth.isRangePermitted(u, key: k("y"), rangeEnd: [0])  // etcd: get y --from-key
    try f.auth.isRangePermitted(u, key: k("\u{7f}\u{7f}"), rangeEnd: [0])
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("x"), rangeEnd: [0]) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: [0], rangeEnd: [0]) }
  }

  @Test func wholeKeyspaceGrantCoversEverything() throws {
    // etcdctl role grant-permission r read "" --from-key stores key "\0", range_end "\0".
    let (f, u) = try fixture([permission(.read, "\0", "\0")])
    try f.auth.isRangePermitted(u, key: [0], rangeEnd: [0])
    try f.auth.isRangePermitted(u, key: [], rangeEnd: [0])
    try f.auth.isRangePermitted(u, key: k("anything"), rangeEnd: [])
    #expect(throws: AuthError.permissionDenied) { try f.auth.isPutPermitted(u, key: k("anything")) }
  }

  @Test func mergedIntervalsCoverARangeTogether() throws {
    let (f, u) = try fixture([permission(.read, "c", "d"), permission(.read, "d", "e"), permission(.read, "a", "c2")])
    try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: k("e"))  // [a,c2) ∪ [c,d) ∪ [d,e)
    try f.auth.isRangePermitted(u, key: k("c"), rangeEnd: k("e"))  // etcd
  }

  @Test func partialCoverIsRefused() throws {
    let (f, u) = try fixture([permission(.read, "a", "b"), permission(.read, "c", "d")])
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: k("d")) }  // gap [b,c)
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: k("c")) }  // etcd
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("b"), rangeEnd: k("c")) }  // etcd
  }

  @Test func invertedRangesAreCheckedAsTheirFirstKey() throws {
    // etcd 3.4.23 with read [a,b): "get a a" and "get a0 a" allowed, "get b a" refused; an inverted grant
    // [b,a) grants nothing.
    let (f, u) = try fixture([permission(.read, "a", "b"), permission(.read, "q", "p")])
    try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: k("a"))
    try f.auth.isRangePermitted(u, key: k("a0"), rangeEnd: k("a"))
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("b"), rangeEnd: k("a")) }
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("q"), rangeEnd: []) }
  }

  @Test func readWriteGrantsBoth() throws {
    let (f, u) = try fixture([permission(.readwrite, "k")])
    try f.auth.isRangePermitted(u, key: k("k"), rangeEnd: [])
    try f.auth.isPutPermitted(u, key: k("k"))
  }

  @Test func rootRoleSeesEverything() throws {
    let (f, _) = try fixture([])
    let root = AuthInfo(username: "root", revision: f.auth.revision)
    try f.auth.isRangePermitted(root, key: [0], rangeEnd: [0])
    try f.auth.isPutPermitted(root, key: k("any"))
    try f.auth.isAdminPermitted(root)
  }

  @Test func permissionChangesApplyToTheNextCheck() throws {
    let (f, _) = try fixture([])
    try f.auth.roleGrantPermission(name: "r", permission: permission(.read, "a", "b"))
    var u = AuthInfo(username: "u", revision: f.auth.revision)
    try f.auth.isRangePermitted(u, key: k("a1"), rangeEnd: [])
    try f.auth.roleRevokePermission(name: "r", key: k("a"), rangeEnd: k("b"))
    u.revision = f.auth.revision
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("a1"), rangeEnd: []) }
    try f.auth.roleGrantPermission(name: "r", permission: permission(.read, "a", "b"))
    try f.auth.userRevokeRole(user: "u", role: "r")
    u.revision = f.auth.revision
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(u, key: k("a1"), rangeEnd: []) }
  }

  @Test func staleOrMissingCredentialsAreRefused() throws {
    let (f, u) = try fixture([permission(.read, "a")])
    #expect(throws: AuthError.userEmpty) { try f.auth.isRangePermitted(nil, key: k("a"), rangeEnd: []) }
    try f.auth.roleAdd(name: "other")  // bumps the auth revision
    #expect(throws: AuthError.authOldRevision) { try f.auth.isRangePermitted(u, key: k("a"), rangeEnd: []) }
    let ghost = AuthInfo(username: "ghost", revision: f.auth.revision)
    #expect(throws: AuthError.permissionDenied) { try f.auth.isRangePermitted(ghost, key: k("a"), rangeEnd: []) }
  }

  @Test func adminChecksNeedTheRootRole() throws {
    let (f, u) = try fixture([])
    #expect(throws: AuthError.permissionDenied) { try f.auth.isAdminPermitted(u) }
    #expect(throws: AuthError.userEmpty) { try f.auth.isAdminPermitted(nil) }
    #expect(throws: AuthError.userNotFound) { try f.auth.isAdminPermitted(AuthInfo(username: "ghost", revision: 9)) }
    try f.auth.isUserGetPermitted(u, name: "u")  // etcd: user get of oneself
    try f.auth.isRoleGetPermitted(u, role: "r")  // etcd: role get of one's role
    #expect(throws: AuthError.permissionDenied) { try f.auth.isUserGetPermitted(u, name: "root") }
  }

  @Test func everythingIsAllowedWhileAuthIsOff() throws {
    let f = try AuthFixture()
    try f.auth.isRangePermitted(nil, key: k("a"), rangeEnd: [0])
    try f.auth.isPutPermitted(nil, key: k("a"))
    try f.auth.isAdminPermitted(nil)
    #expect(try f.auth.authInfo(token: "x.1", commonName: "cn") == nil)
  }

  @Test func intervalSetMergesTouchingAndOverlappingRuns() {
    let set = KeyIntervalSet([(k("c"), k("d")), (k("a"), k("b")), (k("b"), k("c")), (k("x"), nil), (k("y"), k("z"))])
    #expect(set.runCount == 2)
    #expect(set.covers(begin: k("a"), end: k("d")))
    #expect(!set.covers(begin: k("a"), end: k("d0")))
    #expect(set.covers(begin: k("x"), end: nil))
    #expect(!set.contains(key: k("w")))
  }
}
