// One immutable version of the auth store's contents: users, roles, the enabled flag, the auth revision and the
// merged permissions of every user. Readers take the current version under a short lock and check against it
// without holding anything; each change builds the next version and swaps it in.

import EtcdProto
import Foundation
import MVCC
import SwiftProtobuf

/// Who a request runs as: the user and the auth revision its credentials were issued at (etcd's AuthInfo).
public struct AuthInfo: Sendable, Hashable {
  /// The user name.
  public var username: String
  /// The auth revision the token (or TLS identity) was checked against.
  public var revision: UInt64

  /// Creates an identity.
  public init(username: String, revision: UInt64) {
    self.username = username
    self.revision = revision
  }
}

/// A snapshot of the auth store.
final class AuthState: Sendable {
  static let rootUser = "root"
  static let rootRole = "root"

  let enabled: Bool
  let revision: UInt64
  let users: [String: Authpb_User]
  let roles: [String: Authpb_Role]
  /// Merged permissions by user name (every user has an entry).
  let permissions: [String: UserPermissions]

  init(
    enabled: Bool, revision: UInt64, users: [String: Authpb_User], roles: [String: Authpb_Role],
    permissions: [String: UserPermissions]
  ) {
    self.enabled = enabled
    self.revision = revision
    self.users = users
    self.roles = roles
    self.permissions = permissions
  }

  /// Whether `user` holds the root role.
  static func hasRootRole(_ user: Authpb_User) -> Bool { user.roles.contains(rootRole) }

  /// The merged permissions of `user` over the roles in `roles`.
  static func permissions(of user: Authpb_User, roles: [String: Authpb_Role]) -> UserPermissions {
    UserPermissions(roles: user.roles.compactMap { roles[$0] })
  }
}

/// Names and encodings of the rows in the `.auth` blob table (etcd's auth, authUsers and authRoles buckets).
enum AuthRecords {
  static let enabledName = "authEnabled"
  static let revisionName = "authRevision"
  static let userPrefix = "authUsers/"
  static let rolePrefix = "authRoles/"

  static func userName(_ name: String) -> String { userPrefix + name }
  static func roleName(_ name: String) -> String { rolePrefix + name }

  /// etcd stores the revision as 8 bytes big-endian.
  static func encodeRevision(_ revision: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: revision >> (56 - 8 * UInt64($0))) }
  }

  static func decodeRevision(_ bytes: [UInt8]) -> UInt64? {
    guard bytes.count == 8 else { return nil }
    return bytes.reduce(0) { $0 << 8 | UInt64($1) }
  }

  static func encode(_ message: some SwiftProtobuf.Message) -> [UInt8] {
    // Serializing an in-memory authpb message cannot fail (no required fields, no Any).
    (try? [UInt8](message.serializedBytes() as [UInt8])) ?? []
  }

  /// Reads every row of the `.auth` table into a first state.
  static func load(from kv: KVStore) throws(AuthError) -> AuthState {
    let rows: [(name: String, value: [UInt8])]
    do { rows = try kv.blobs(.auth) } catch { throw .storage(error) }
    var enabled = false
    var revision: UInt64 = 0
    var users: [String: Authpb_User] = [:]
    var roles: [String: Authpb_Role] = [:]
    for row in rows {
      if row.name == enabledName {
        enabled = row.value == [1]
      } else if row.name == revisionName {
        guard let value = decodeRevision(row.value) else { throw .corruptRecord(name: row.name) }
        revision = value
      } else if row.name.hasPrefix(userPrefix) {
        guard let user = try? Authpb_User(serializedBytes: row.value) else { throw .corruptRecord(name: row.name) }
        users[String(row.name.dropFirst(userPrefix.count))] = user
      } else if row.name.hasPrefix(rolePrefix) {
        guard let role = try? Authpb_Role(serializedBytes: row.value) else { throw .corruptRecord(name: row.name) }
        roles[String(row.name.dropFirst(rolePrefix.count))] = role
      }
    }
    let permissions = users.mapValues { AuthState.permissions(of: $0, roles: roles) }
    return AuthState(enabled: enabled, revision: revision, users: users, roles: roles, permissions: permissions)
  }
}
