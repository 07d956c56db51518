// The applier's auth side (etcd's authApplierV3): permission checks of client requests at apply time, against the
// user and auth revision in the entry's header, and the auth requests themselves (users, roles, enable/disable,
// authenticate), which run on the auth store with the entry's consistent index.

import EtcdProto
import MVCC

extension RaftRequest {
  /// True for the auth requests (applied by the auth store).
  var isAuth: Bool {
    switch self {
    case .put, .deleteRange, .txn, .compaction, .leaseGrant, .leaseRevoke, .alarm, .memberUpdate, .memberAttributes:
      false
    default: true
    }
  }

  /// The membership change a normal entry carries (member updates and published attributes).
  var membershipChange: MembershipChange? {
    switch self {
    case .memberUpdate(let p): .updatePeerURLs(id: p.id, peerURLs: p.peerUrls)
    case .memberAttributes(let p): .publish(id: p.id, name: p.name, clientURLs: p.clientUrls)
    default: nil
    }
  }

  /// The requests only a root user may make (etcd's needAdminPermission).
  var needsAdmin: Bool {
    switch self {
    case .authEnable, .authDisable, .userAdd, .userDelete, .userChangePassword, .userGrantRole, .userRevokeRole,
      .roleAdd, .roleGrantPermission, .roleRevokePermission, .roleDelete, .userList, .roleList, .memberUpdate:
      true
    default: false
    }
  }
}

extension Applier {
  /// Refuses `request` unless `identity` may make it now (a no-op while auth is off).
  func checkPermission(_ request: RaftRequest, as identity: AuthInfo) throws(ServerError) {
    guard auth.isEnabled else { return }
    do throws(AuthError) {
      if request.needsAdmin {
        try auth.isAdminPermitted(identity)
        return
      }
      switch request {
      case .put(let p):
        try auth.isPutPermitted(identity, key: [UInt8](p.key))
        try checkLeasePuts(p.lease, as: identity)
        if p.prevKv { try auth.isRangePermitted(identity, key: [UInt8](p.key), rangeEnd: []) }
      case .deleteRange(let p):
        try auth.isDeleteRangePermitted(identity, key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd))
        if p.prevKv { try auth.isRangePermitted(identity, key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd)) }
      case .txn(let p):
        try auth.checkTxn(p, as: identity)
      case .leaseRevoke(let p):
        try checkLeasePuts(p.id, as: identity)
      case .userGet(let p):
        try auth.isUserGetPermitted(identity, name: p.name)
      case .roleGet(let p):
        try auth.isRoleGetPermitted(identity, role: p.role)
      default:
        break
      }
    } catch {
      throw .auth(error)
    }
  }

  /// etcd's checkLeasePuts: whoever attaches to or revokes a lease must be allowed to write every key on it.
  private func checkLeasePuts(_ lease: Int64, as identity: AuthInfo) throws(AuthError) {
    guard lease != 0, let found = leases.timeToLive(id: lease, now: now()) else { return }
    for key in found.keys { try auth.isPutPermitted(identity, key: key) }
  }

  /// Records the index of an auth read (it goes through Raft, as etcd's does, but changes nothing).
  private func recordUnchanged(_ applied: ConsistentIndex) throws(AuthError) {
    do { try store.setConsistentIndex(applied) } catch { throw .storage(error) }
  }

  /// Applies an auth request at `index` (simple tokens are "prefix.index").
  func runAuth(_ request: RaftRequest, as identity: AuthInfo?, index: UInt64, applied: ConsistentIndex)
    throws(ServerError) -> AppliedResponse
  {
    let outcome: AuthApplied
    do throws(AuthError) {
      switch request {
      case .authEnable:
        try auth.authEnable(applied: applied)
        outcome = .done
      case .authDisable:
        try auth.authDisable(applied: applied)
        outcome = .done
      case .authenticate(let p):
        outcome = .token(try auth.authenticate(user: p.name, tokenPrefix: p.password, index: index, applied: applied))
      case .userAdd(let p):
        let credential: UserCredential =
          p.hasOptions && p.options.noPassword ? .noPassword : .hashed(Array(p.password.utf8))
        try auth.userAdd(name: p.name, credential: credential, applied: applied)
        outcome = .done
      case .userDelete(let p):
        try auth.userDelete(name: p.name, applied: applied)
        outcome = .done
      case .userChangePassword(let p):
        try auth.userChangePassword(name: p.name, hashedPassword: Array(p.password.utf8), applied: applied)
        outcome = .done
      case .userGrantRole(let p):
        try auth.userGrantRole(user: p.user, role: p.role, applied: applied)
        outcome = .done
      case .userRevokeRole(let p):
        try auth.userRevokeRole(user: p.name, role: p.role, applied: applied)
        outcome = .done
      case .roleAdd(let p):
        try auth.roleAdd(name: p.name, applied: applied)
        outcome = .done
      case .roleDelete(let p):
        try auth.roleDelete(name: p.role, applied: applied)
        outcome = .done
      case .roleGrantPermission(let p):
        try auth.roleGrantPermission(name: p.name, permission: p.hasPerm ? p.perm : nil, applied: applied)
        outcome = .done
      case .roleRevokePermission(let p):
        try auth.roleRevokePermission(
          name: p.role, key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd), applied: applied)
        outcome = .done
      case .userGet(let p):
        try recordUnchanged(applied)
        outcome = .user(roles: try auth.userGet(name: p.name))
      case .roleGet(let p):
        try recordUnchanged(applied)
        outcome = .role(try auth.roleGet(name: p.role))
      case .userList:
        try recordUnchanged(applied)
        outcome = .names(auth.userList())
      case .roleList:
        try recordUnchanged(applied)
        outcome = .names(auth.roleList())
      default:
        preconditionFailure("runAuth was given a request that is not an auth request")
      }
    } catch {
      throw .auth(error)
    }
    return .auth(outcome, revision: store.currentRevision)
  }
}

extension AuthStore {
  /// etcd's checkTxnAuth: read permission on every compared key, then every operation of both branches (nested
  /// transactions included): a range needs read, a put write, a delete write (and read with prev_kv).
  func checkTxn(_ txn: Etcdserverpb_TxnRequest, as identity: AuthInfo) throws(AuthError) {
    // etcd 3.4 checks a comparison's key alone, whatever its range end.
    for compare in txn.compare { try isRangePermitted(identity, key: [UInt8](compare.key), rangeEnd: []) }
    for op in txn.success { try checkTxnOp(op, as: identity) }
    for op in txn.failure { try checkTxnOp(op, as: identity) }
  }

  private func checkTxnOp(_ op: Etcdserverpb_RequestOp, as identity: AuthInfo) throws(AuthError) {
    switch op.request {
    case .requestRange(let r):
      try isRangePermitted(identity, key: [UInt8](r.key), rangeEnd: [UInt8](r.rangeEnd))
    case .requestPut(let p):
      try isPutPermitted(identity, key: [UInt8](p.key))
    case .requestDeleteRange(let d):
      if d.prevKv { try isRangePermitted(identity, key: [UInt8](d.key), rangeEnd: [UInt8](d.rangeEnd)) }
      try isDeleteRangePermitted(identity, key: [UInt8](d.key), rangeEnd: [UInt8](d.rangeEnd))
    case .requestTxn(let nested):
      try checkTxn(nested, as: identity)
    case nil:
      break
    }
  }
}
