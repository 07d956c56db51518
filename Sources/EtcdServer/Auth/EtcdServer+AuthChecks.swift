// Permission checks made before a request is served locally (etcd's doSerialize and the maintenance server's admin
// check): reads check the caller's range permission, read, then refuse with "revision of auth store is old" when
// the auth store changed under them.

import EtcdProto

extension EtcdServer {
  /// etcd's doSerialize: `check` with the caller's identity (etcd's empty one when it has none), `read`, then the
  /// stale-revision check.
  func serialized<T>(
    _ caller: Caller, check: (AuthInfo) throws(AuthError) -> Void, read: () throws(ServerError) -> T
  ) throws(ServerError) -> T {
    let identity = try headerIdentity(of: caller)
    do { try check(identity) } catch { throw .auth(error) }
    let result = try read()
    if identity.revision != 0 && identity.revision != auth.revision { throw .auth(.authOldRevision) }
    return result
  }

  /// Refuses `caller` unless it holds the root role (Defragment, Hash, HashKV, Snapshot; passes while auth is off).
  public func requireAdmin(_ caller: Caller) throws(ServerError) {
    let identity = try identity(of: caller)
    do { try auth.isAdminPermitted(identity) } catch { throw .auth(error) }
  }

  /// Whether `caller` may watch the create request's keys (etcd: the create is answered created and canceled with
  /// "rpc error: code = PermissionDenied desc = etcdserver: permission denied" when not).
  public func isWatchPermitted(_ create: Etcdserverpb_WatchCreateRequest, caller: Caller) -> Bool {
    guard auth.isEnabled else { return true }
    guard let identity = try? identity(of: caller) else { return false }
    let key = create.key.isEmpty ? [0] : [UInt8](create.key)
    return (try? auth.isRangePermitted(identity, key: key, rangeEnd: [UInt8](create.rangeEnd))) != nil
  }

  /// The response to a watch create refused for lack of permission (etcd 3.4's exact fields).
  public func watchPermissionDenied(_ create: Etcdserverpb_WatchCreateRequest) -> Etcdserverpb_WatchResponse {
    var response = Etcdserverpb_WatchResponse()
    response.header = header(revision: store.currentRevision)
    response.watchID = create.watchID
    response.created = true
    response.canceled = true
    response.cancelReason = "rpc error: code = PermissionDenied desc = " + AuthError.permissionDenied.description
    return response
  }
}
