// Applies committed Raft entries to the member's state (etcd's applierV3): each request runs against the MVCC store
// with the entry's position as the consistent index, so the position commits with the changes it made and an entry
// applied before a crash is not applied twice.

import EtcdProto
import MVCC
import Raft

/// What applying one request produced, with the store revision for the response header.
public enum AppliedResponse: Sendable {
  case put(Etcdserverpb_PutResponse, revision: Int64)
  case deleteRange(Etcdserverpb_DeleteRangeResponse, revision: Int64)
  case txn(Etcdserverpb_TxnResponse, revision: Int64)
  case compaction(revision: Int64)
  case leaseGrant(Etcdserverpb_LeaseGrantResponse, revision: Int64)
  case leaseRevoke(revision: Int64)
  case alarm(Etcdserverpb_AlarmResponse, revision: Int64)
  case auth(AuthApplied, revision: Int64)
  /// A membership change was applied (the membership holds the result).
  case membership
}

/// What an auth request produced.
public enum AuthApplied: Sendable {
  /// The change was made (or was a no-op).
  case done
  /// Authenticate: the issued token.
  case token(String)
  /// UserGet: the user's roles.
  case user(roles: [String])
  /// RoleGet: the role's permissions.
  case role([Authpb_Permission])
  /// UserList or RoleList: the names.
  case names([String])
}

/// Applies entries in log order. Used by the Raft loop's thread only.
final class Applier {
  let store: KVStore
  let leases: Leases
  /// The auth store (its changes commit with the entry that made them).
  let auth: AuthStore
  /// The cluster's membership (member updates and published attributes apply here).
  let membership: Membership
  /// The member's monotonic time (lease grants start their TTL from it).
  let now: @Sendable () -> Duration

  /// The index of the last entry applied (or skipped as applied before a restart).
  private(set) var appliedIndex: LogIndex

  init(
    store: KVStore, leases: Leases, auth: AuthStore, membership: Membership,
    now: @escaping @Sendable () -> Duration
  ) throws(ServerError) {
    self.store = store
    self.membership = membership
    self.leases = leases
    self.auth = auth
    self.now = now
    do { appliedIndex = try store.consistentIndex().index } catch { throw .store(error) }
  }

  /// Applies a normal entry: nil for an entry applied before (a replay after restart) or an empty entry, else the
  /// request ID and its outcome. A store refusal is an outcome (the entry still counts as applied); a storage
  /// failure throws, and the member must stop.
  func apply(_ entry: Entry) throws(ServerError) -> (id: UInt64, result: Result<AppliedResponse, ServerError>)? {
    guard entry.index > appliedIndex else { return nil }
    appliedIndex = entry.index
    let applied = ConsistentIndex(index: entry.index, term: entry.term)
    guard let (id, identity, request) = try RaftRequest.decode(entry.data) else {
      try record(applied)
      return nil
    }
    do throws(ServerError) {
      // Entries without a header are the member's own (etcd runs them as root): no permission check.
      if let identity { try checkPermission(request, as: identity) }
      if let change = request.membershipChange {
        return (id, try membership.apply(change, applied: applied, store: store).map { .membership }
          .mapError { .membership($0) })
      }
      if request.isAuth { return (id, .success(try runAuth(request, as: identity, index: entry.index, applied: applied))) }
      do throws(MVCCError) {
        return (id, .success(try run(request, applied: applied)))
      } catch {
        throw .store(error)
      }
    } catch {
      switch error {
      case .store(.backend), .store(.corrupt), .auth(.storage), .auth(.corruptRecord): throw error
      default: break
      }
      try record(applied)
      return (id, .failure(error))
    }
  }

  /// Marks a conf-change entry applied (the membership stored its index with the change).
  func advance(to index: LogIndex) {
    appliedIndex = max(appliedIndex, index)
  }

  /// Re-reads the applied index from the store (after a snapshot replaced it).
  func reloadAppliedIndex() throws(ServerError) {
    do { appliedIndex = try store.consistentIndex().index } catch { throw .store(error) }
  }

  /// Records `applied` for an entry that changed nothing (it commits with the next batch).
  func record(_ applied: ConsistentIndex) throws(ServerError) {
    do { try store.setConsistentIndex(applied) } catch { throw .store(error) }
  }

  private func run(_ request: RaftRequest, applied: ConsistentIndex) throws(MVCCError) -> AppliedResponse {
    switch request {
    case .put(let p):
      let response = try store.put(PutRequest(p), applied: applied)
      return .put(Etcdserverpb_PutResponse(response), revision: response.revision)
    case .deleteRange(let p):
      let response = try store.deleteRange(DeleteRangeRequest(p), applied: applied)
      return .deleteRange(Etcdserverpb_DeleteRangeResponse(response), revision: response.revision)
    case .txn(let p):
      let response = try store.txn(TxnRequest(p), applied: applied)
      return .txn(Etcdserverpb_TxnResponse(response), revision: response.revision)
    case .compaction(let p):
      // The deletion of old rows runs in batches here, on the applier (etcd runs it in the background).
      let response = try store.compact(p.revision, applied: applied, physical: true)
      return .compaction(revision: response.revision)
    case .leaseGrant(let p):
      let record = try leases.grant(id: p.id, ttl: p.ttl, now: now(), applied: applied)
      var response = Etcdserverpb_LeaseGrantResponse()
      response.id = record.id
      response.ttl = record.ttl
      return .leaseGrant(response, revision: store.currentRevision)
    case .leaseRevoke(let p):
      return .leaseRevoke(revision: try leases.revoke(id: p.id, applied: applied))
    case .alarm(let p):
      return .alarm(try applyAlarm(p, applied: applied), revision: store.currentRevision)
    case .authEnable, .authDisable, .authenticate, .userAdd, .userDelete, .userChangePassword, .userGrantRole, .userGet,
      .userList, .userRevokeRole, .roleAdd, .roleGrantPermission, .roleGet, .roleList, .roleDelete,
      .roleRevokePermission:
      preconditionFailure("auth requests are applied by runAuth")
    case .memberUpdate, .memberAttributes:
      preconditionFailure("membership requests are applied by Membership")
    }
  }

  private func applyAlarm(_ p: Etcdserverpb_AlarmRequest, applied: ConsistentIndex) throws(MVCCError)
    -> Etcdserverpb_AlarmResponse
  {
    var response = Etcdserverpb_AlarmResponse()
    let requested = AlarmType(rawValue: Int32(p.alarm.rawValue)) ?? .none
    func member(_ a: AlarmMember) -> Etcdserverpb_AlarmMember {
      var m = Etcdserverpb_AlarmMember()
      m.memberID = a.memberID
      m.alarm = Etcdserverpb_AlarmType(rawValue: Int(a.alarm.rawValue)) ?? .none
      return m
    }
    switch p.action {
    case .get:
      try store.setConsistentIndex(applied)
      response.alarms = store.alarms().filter { requested == .none || $0.alarm == requested }.map(member)
    case .activate:
      let alarm = AlarmMember(memberID: p.memberID, alarm: requested)
      try store.activate(alarm, applied: applied)
      response.alarms = [member(alarm)]
    case .deactivate:
      let alarm = AlarmMember(memberID: p.memberID, alarm: requested)
      if try store.deactivate(alarm, applied: applied) { response.alarms = [member(alarm)] }
    case .UNRECOGNIZED:
      try store.setConsistentIndex(applied)
    }
    return response
  }
}
