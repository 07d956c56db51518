// User operations with etcd 3.4's checks, in its order (so the same request gets the same refusal).

import EtcdProto
import Foundation
import MVCC

extension AuthStore {
  /// `user add`: the name must be new and non-empty; the password comes hashed (or not at all).
  public func userAdd(name: String, credential: UserCredential, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      guard !name.isEmpty else { throw .userEmpty }
      guard state.users[name] == nil else { throw .userAlreadyExist }
      var user = Authpb_User()
      user.name = Data(name.utf8)
      var options = Authpb_UserAddOptions()
      switch credential {
      case .hashed(let hash): user.password = Data(hash)
      case .noPassword: options.noPassword = true
      }
      user.options = options
      change.put(user: user, named: name)
    }
  }

  /// `user delete`: root cannot be deleted while auth is on; the user's tokens are dropped.
  public func userDelete(name: String, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      if state.enabled && name == AuthState.rootUser { throw .invalidAuthManagement }
      guard state.users[name] != nil else { throw .userNotFound }
      change.delete(user: name)
    }
    tokens.invalidate(user: name)
  }

  /// `user passwd`: a password-less user stays password-less; the user's tokens are dropped.
  public func userChangePassword(name: String, hashedPassword: [UInt8], applied: ConsistentIndex? = nil)
    throws(AuthError)
  {
    try apply(applied) { (change, state) throws(AuthError) in
      guard var user = state.users[name] else { throw .userNotFound }
      user.password = user.hasOptions && user.options.noPassword ? Data() : Data(hashedPassword)
      change.put(user: user, named: name)
    }
    tokens.invalidate(user: name)
  }

  /// `user grant-role`: the role must exist (except root); granting a held role changes nothing.
  public func userGrantRole(user name: String, role: String, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      guard var user = state.users[name] else { throw .userNotFound }
      if role != AuthState.rootRole && state.roles[role] == nil { throw .roleNotFound }
      guard !user.roles.contains(role) else { return }
      user.roles.append(role)
      user.roles.sort { compareBytes(Array($0.utf8), Array($1.utf8)) < 0 }
      change.put(user: user, named: name)
    }
  }

  /// `user revoke-role`: root keeps the root role while auth is on.
  public func userRevokeRole(user name: String, role: String, applied: ConsistentIndex? = nil) throws(AuthError) {
    try apply(applied) { (change, state) throws(AuthError) in
      if state.enabled && name == AuthState.rootUser && role == AuthState.rootRole { throw .invalidAuthManagement }
      guard var user = state.users[name] else { throw .userNotFound }
      guard user.roles.contains(role) else { throw .roleNotGranted }
      user.roles.removeAll { $0 == role }
      change.put(user: user, named: name)
    }
  }

  /// `user get`: the user's roles (sorted).
  public func userGet(name: String) throws(AuthError) -> [String] {
    guard let user = state.users[name] else { throw .userNotFound }
    return user.roles
  }

  /// `user list`: every user name in byte order.
  public func userList() -> [String] {
    state.users.keys.sorted { compareBytes(Array($0.utf8), Array($1.utf8)) < 0 }
  }

  /// Whether `user` exists and holds `role`.
  public func hasRole(user: String, role: String) -> Bool {
    state.users[user]?.roles.contains(role) ?? false
  }
}
