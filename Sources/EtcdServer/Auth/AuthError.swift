// The auth store's refusals. Client-facing cases print etcd 3.4's exact strings (clients match them by text); the
// others (options, keys, storage) say what went wrong and what to do.

import MVCC

/// An auth store refusal or failure.
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `auth enable` without a user named root.
  case rootUserNotExist
  /// `auth enable` while the root user lacks the root role.
  case rootRoleNotExist
  /// `user add` of an existing name.
  case userAlreadyExist
  /// A user name is empty, or a request carries no user while auth is on.
  case userEmpty
  /// The named user does not exist.
  case userNotFound
  /// `role add` of an existing name.
  case roleAlreadyExist
  /// The named role does not exist.
  case roleNotFound
  /// `role add` with an empty name.
  case roleEmpty
  /// `role grant-permission` without a permission.
  case permissionNotGiven
  /// Wrong user or password (or a password-less user at authenticate).
  case authFailed
  /// A password was given for a user created with `--no-password`.
  case noPasswordUser
  /// The user may not do this.
  case permissionDenied
  /// `user revoke-role` of a role the user does not have.
  case roleNotGranted
  /// `role revoke-permission` of a permission the role does not have.
  case permissionNotGranted
  /// Authenticate while auth is off.
  case authNotEnabled
  /// The request was checked against an older auth revision than the store's.
  case authOldRevision
  /// The token is unknown, expired, badly signed or malformed.
  case invalidAuthToken
  /// Deleting root, the root role, or revoking root from root while auth is on.
  case invalidAuthManagement
  /// `--auth-token` could not be parsed (etcd: "auth: invalid auth options"); `detail` says why.
  case invalidAuthOptions(detail: String)
  /// `--auth-token jwt,...` names an unknown `sign-method`.
  case invalidAuthMethod
  /// `--auth-token jwt,...` gives neither `priv-key` nor `pub-key`.
  case missingKey
  /// `pub-key` and `priv-key` are not a pair.
  case keyMismatch
  /// A JWT provider with only a public key was asked to sign.
  case verifyOnly
  /// The password hash could not be made or read (libxcrypt failed).
  case passwordHashing(detail: String)
  /// Reading or writing the `.auth` table failed.
  case storage(MVCCError)
  /// A stored auth record could not be decoded.
  case corruptRecord(name: String)

  /// The message a client sees (etcd's exact text for the client-facing cases).
  public var description: String {
    switch self {
    case .rootUserNotExist: "etcdserver: root user does not exist"
    case .rootRoleNotExist: "etcdserver: root user does not have root role"
    case .userAlreadyExist: "etcdserver: user name already exists"
    case .userEmpty: "etcdserver: user name is empty"
    case .userNotFound: "etcdserver: user name not found"
    case .roleAlreadyExist: "etcdserver: role name already exists"
    case .roleNotFound: "etcdserver: role name not found"
    case .roleEmpty: "etcdserver: role name is empty"
    case .permissionNotGiven: "etcdserver: permission not given"
    case .authFailed: "etcdserver: authentication failed, invalid user ID or password"
    // etcd 3.4 has no rpctypes mapping for this one: clients see the raw auth error with code Unknown.
    case .noPasswordUser: "auth: authentication failed, password was given for no password user"
    case .permissionDenied: "etcdserver: permission denied"
    case .roleNotGranted: "etcdserver: role is not granted to the user"
    case .permissionNotGranted: "etcdserver: permission is not granted to the role"
    case .authNotEnabled: "etcdserver: authentication is not enabled"
    case .authOldRevision: "etcdserver: revision of auth store is old"
    case .invalidAuthToken: "etcdserver: invalid auth token"
    case .invalidAuthManagement: "etcdserver: invalid auth management"
    case .invalidAuthOptions(let detail):
      "auth: invalid auth options (\(detail)); use --auth-token simple or "
        + "jwt,pub-key=<file>,priv-key=<file>,sign-method=<RS256|...>,ttl=<duration>"
    case .invalidAuthMethod:
      "auth: invalid auth signature method; use one of " + JWTSigningMethod.allCases.map(\.rawValue).joined(separator: ", ")
    case .missingKey: "auth: missing key data; give priv-key=<PEM file> (and pub-key=<PEM file>) in --auth-token"
    case .keyMismatch: "auth: public and private keys don't match; give the public key of priv-key as pub-key"
    case .verifyOnly: "auth: token signing attempted with verify-only key; give priv-key in --auth-token to sign"
    case .passwordHashing(let detail): "auth: password hashing failed (\(detail)); check that libxcrypt supports bcrypt"
    case .storage(let error): "auth: the auth table could not be read or written (\(error)); check the data directory"
    case .corruptRecord(let name):
      "auth: the stored auth record \(name) is not a valid authpb message; restore the member from a snapshot"
    }
  }

  /// The gRPC status code for this error (etcd's rpctypes table).
  public var code: StatusCode {
    switch self {
    case .userEmpty, .roleEmpty, .permissionNotGiven, .authFailed, .invalidAuthManagement, .authOldRevision:
      .invalidArgument
    case .rootUserNotExist, .rootRoleNotExist, .userAlreadyExist, .userNotFound, .roleAlreadyExist, .roleNotFound,
      .roleNotGranted, .permissionNotGranted, .authNotEnabled:
      .failedPrecondition
    case .permissionDenied: .permissionDenied
    case .invalidAuthToken: .unauthenticated
    case .noPasswordUser, .invalidAuthOptions, .invalidAuthMethod, .missingKey, .keyMismatch, .verifyOnly: .unknown
    case .passwordHashing, .storage, .corruptRecord: .internal
    }
  }
}
