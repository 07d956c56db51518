// Role operations with etcd 3.4's checks, in its order.

import EtcdProto
import Foundation
import MVCC

extension AuthStore {
  /// `role add`: the name must be new and non-empty.
  public func roleAdd(name: String, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      guard !name.isEmpty else { throw .roleEmpty }
      guard state.roles[name] == nil else { throw .roleAlreadyExist }
      var role = Authpb_Role()
      role.name = Data(name.utf8)
      change.put(role: role, named: name)
    }
  }

  /// `role delete`: the root role stays while auth is on; the role is also taken from every user holding it.
  public func roleDelete(name: String, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      if state.enabled && name == AuthState.rootRole { throw .invalidAuthManagement }
      guard state.roles[name] != nil else { throw .roleNotFound }
      change.delete(role: name)
      for (userName, user) in state.users where user.roles.contains(name) {
        var updated = user
        updated.roles.removeAll { $0 == name }
        change.put(user: updated, named: userName)
      }
    }
  }

  /// `role get`: the role's permissions, sorted by key (etcd 3.4 lists none for root: its power is implicit).
  public func roleGet(name: String) throws(AuthError) -> [Authpb_Permission] {
    guard let role = state.roles[name] else { throw .roleNotFound }
    return role.keyPermission
  }

  /// `role list`: every role name in byte order.
  public func roleList() -> [String] {
    state.roles.keys.sorted { compareBytes(Array($0.utf8), Array($1.utf8)) < 0 }
  }

  /// `role grant-permission`: a permission with the same key and range end is updated in place, else added in key
  /// order. `permission` nil: "permission not given". etcd 3.4 stores any range as given (an inverted one grants
  /// nothing).
  public func roleGrantPermission(name: String, permission: Authpb_Permission?, applied: ConsistentIndex? = nil)
    throws(AuthError)
  {
    try apply(applied) { (change, state) throws(AuthError) in
      guard let permission else { throw .permissionNotGiven }
      guard var role = state.roles[name] else { throw .roleNotFound }
      var granted = Authpb_Permission()
      granted.permType = permission.permType
      granted.key = permission.key
      granted.rangeEnd = permission.rangeEnd
      if let index = role.keyPermission.firstIndex(where: { $0.key == granted.key && $0.rangeEnd == granted.rangeEnd }) {
        role.keyPermission[index].permType = granted.permType
      } else {
        let key = [UInt8](granted.key)
        let at = role.keyPermission.firstIndex { compareBytes([UInt8]($0.key), key) > 0 } ?? role.keyPermission.count
        role.keyPermission.insert(granted, at: at)
      }
      change.put(role: role, named: name)
    }
  }

  /// `role revoke-permission`: removes the permission with exactly this key and range end.
  public func roleRevokePermission(name: String, key: [UInt8], rangeEnd: [UInt8], applied: ConsistentIndex? = nil)
    throws(AuthError)
  {
    try apply(applied) { (change, state) throws(AuthError) in
      guard var role = state.roles[name] else { throw .roleNotFound }
      let before = role.keyPermission.count
      role.keyPermission.removeAll { [UInt8]($0.key) == key && [UInt8]($0.rangeEnd) == rangeEnd }
      guard role.keyPermission.count < before else { throw .permissionNotGranted }
      change.put(role: role, named: name)
    }
  }
}
