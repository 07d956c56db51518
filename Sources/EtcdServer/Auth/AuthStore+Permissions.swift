// Permission checks for the request layer (etcd's isOpPermitted and IsAdminPermitted). Each is a dictionary lookup
// and a binary search over the user's merged intervals; nothing is allocated.

import EtcdProto

extension AuthStore {
  /// Whether `info` may read the keys of a Range (or Watch) of `key`..`rangeEnd` (etcd's range_end conventions).
  public func isRangePermitted(_ info: AuthInfo?, key: [UInt8], rangeEnd: [UInt8]) throws(AuthError) {
    try check(info, key: key, rangeEnd: rangeEnd, write: false)
  }

  /// Whether `info` may put `key`.
  public func isPutPermitted(_ info: AuthInfo?, key: [UInt8]) throws(AuthError) {
    try check(info, key: key, rangeEnd: [], write: true)
  }

  /// Whether `info` may delete the keys of `key`..`rangeEnd`.
  public func isDeleteRangePermitted(_ info: AuthInfo?, key: [UInt8], rangeEnd: [UInt8]) throws(AuthError) {
    try check(info, key: key, rangeEnd: rangeEnd, write: true)
  }

  /// Whether `info` may run admin requests (auth, user and role management, member changes, defragment...): it
  /// needs the root role. Passes when auth is off.
  public func isAdminPermitted(_ info: AuthInfo?) throws(AuthError) {
    let state = self.state
    guard state.enabled else { return }
    guard let info, !info.username.isEmpty else { throw .userEmpty }
    guard let user = state.users[info.username] else { throw .userNotFound }
    guard AuthState.hasRootRole(user) else { throw .permissionDenied }
  }

  /// `user get` is also allowed for one's own user (etcd 3.4).
  public func isUserGetPermitted(_ info: AuthInfo?, name: String) throws(AuthError) {
    if isEnabled, let info, info.username == name, state.users[name] != nil { return }
    try isAdminPermitted(info)
  }

  /// `role get` is also allowed for a role one holds (etcd 3.4).
  public func isRoleGetPermitted(_ info: AuthInfo?, role: String) throws(AuthError) {
    if isEnabled, let info, hasRole(user: info.username, role: role) { return }
    try isAdminPermitted(info)
  }

  private func check(_ info: AuthInfo?, key: [UInt8], rangeEnd: [UInt8], write: Bool) throws(AuthError) {
    let state = self.state
    guard state.enabled else { return }
    // No credentials come as revision 0 (etcd's empty AuthInfo).
    guard let info, info.revision != 0 else { throw .userEmpty }
    guard info.revision >= state.revision else { throw .authOldRevision }
    guard let user = state.users[info.username] else { throw .permissionDenied }
    if AuthState.hasRootRole(user) { return }
    guard let permissions = state.permissions[info.username] else { throw .permissionDenied }
    let set = write ? permissions.write : permissions.read
    guard UserPermissions.permits(set, key: key, rangeEnd: rangeEnd) else { throw .permissionDenied }
  }
}
