// The auth store (etcd's auth.authStore): users, roles, the enabled flag and the auth revision, kept in the MVCC
// store's `.auth` table so every change commits with the Raft entry that made it, and held in memory as an
// immutable `AuthState` that request threads check permissions against without waiting for the applier.
//
// Writes (the `apply` methods) are deterministic and run on the applier, in log order, with that entry's
// ConsistentIndex. A refused entry still records its index. Reads and checks may run on any thread.

import EtcdProto
import MVCC
import Synchronization

/// Settings of the auth store (etcd's flags of the same meaning).
public struct AuthStoreOptions: Sendable {
  /// `--auth-token` (parse it with `AuthTokenOptions.parse`).
  public var token: AuthTokenOptions
  /// `--auth-token-ttl` for simple tokens (default 300 s).
  public var simpleTokenTTL: Duration
  /// `--bcrypt-cost` (default 10; outside 4...31 etcd uses 10).
  public var bcryptCost: Int
  /// Where token expiry reads time.
  public var clock: AuthClock

  /// Creates options; the defaults are etcd's.
  public init(
    token: AuthTokenOptions = .simple, simpleTokenTTL: Duration = .seconds(300),
    bcryptCost: Int = Bcrypt.defaultCost, clock: AuthClock = .system
  ) {
    self.token = token
    self.simpleTokenTTL = simpleTokenTTL
    self.bcryptCost = bcryptCost
    self.clock = clock
  }
}

/// How a new user proves who it is: a bcrypt hash made before proposing, or no password (TLS common name only).
public enum UserCredential: Sendable, Equatable {
  /// A bcrypt hash (from `AuthStore.hashPassword`).
  case hashed([UInt8])
  /// `user add --no-password`.
  case noPassword
}

/// etcd's auth store.
public final class AuthStore: Sendable {
  let kv: KVStore
  let clock: AuthClock
  let tokens: any AuthTokenProvider
  /// The password hasher at `--bcrypt-cost`.
  public let bcrypt: Bcrypt
  private let current: Mutex<AuthState>
  /// Serializes the applier's changes (uncontended: one applier).
  private let writer = Mutex<Void>(())

  /// Opens the auth store over `kv`'s `.auth` table; a new store starts at auth revision 1 (as etcd's does).
  public init(kv: KVStore, options: AuthStoreOptions = AuthStoreOptions()) throws(AuthError) {
    self.kv = kv
    clock = options.clock
    bcrypt = Bcrypt(cost: options.bcryptCost)
    switch options.token {
    case .simple: tokens = SimpleTokenProvider(ttl: options.simpleTokenTTL)
    case .jwt(let jwt): tokens = try JWTTokenProvider(jwt)
    case .none: tokens = NoTokenProvider()
    }
    var state = try AuthRecords.load(from: kv)
    if state.revision == 0 {
      do { try kv.putBlob(.auth, name: AuthRecords.revisionName, value: AuthRecords.encodeRevision(1)) } catch {
        throw .storage(error)
      }
      state = AuthState(
        enabled: state.enabled, revision: 1, users: state.users, roles: state.roles, permissions: state.permissions)
    }
    current = Mutex(state)
    if state.enabled { tokens.enable() }
  }

  var state: AuthState { current.withLock { $0 } }

  /// Reads users, roles and the enabled flag back from the store (after a snapshot replaced it); tokens are kept
  /// while auth stays on and dropped when it went off.
  func reload() throws(ServerError) {
    let state: AuthState
    do { state = try AuthRecords.load(from: kv) } catch { throw .auth(error) }
    let wasEnabled = current.withLock { old -> Bool in
      defer { old = state }
      return old.enabled
    }
    if state.enabled && !wasEnabled { tokens.enable() }
    if !state.enabled && wasEnabled { tokens.disable() }
  }

  /// Whether authentication is on.
  public var isEnabled: Bool { state.enabled }

  /// The auth revision: bumped by every change of users, roles or permissions, and by auth disable.
  public var revision: UInt64 { state.revision }

  var now: AuthNow { AuthNow(monotonic: clock.monotonic(), unixSeconds: clock.unixSeconds()) }

  // MARK: Changes

  /// The next state being built by one apply call.
  struct Change {
    var enabled: Bool
    var users: [String: Authpb_User]
    var roles: [String: Authpb_Role]
    var writes: [(name: String, value: [UInt8]?)] = []
    var bumpsRevision = false
    /// Users whose merged permissions must be rebuilt; nil: all of them.
    var affected: Set<String>? = []

    init(_ state: AuthState) {
      enabled = state.enabled
      users = state.users
      roles = state.roles
    }

    mutating func put(user: Authpb_User, named name: String) {
      users[name] = user
      writes.append((AuthRecords.userName(name), AuthRecords.encode(user)))
      affected?.insert(name)
      bumpsRevision = true
    }

    mutating func delete(user name: String) {
      users[name] = nil
      writes.append((AuthRecords.userName(name), nil))
      affected?.insert(name)
      bumpsRevision = true
    }

    mutating func put(role: Authpb_Role, named name: String) {
      roles[name] = role
      writes.append((AuthRecords.roleName(name), AuthRecords.encode(role)))
      affected?.formUnion(users.filter { $0.value.roles.contains(name) }.keys)
      bumpsRevision = true
    }

    mutating func delete(role name: String) {
      roles[name] = nil
      writes.append((AuthRecords.roleName(name), nil))
      bumpsRevision = true
    }

    mutating func setEnabled(_ value: Bool) {
      enabled = value
      writes.append((AuthRecords.enabledName, [value ? 1 : 0]))
    }
  }

  /// Runs one applied entry: `body` validates and stages a change against the current state; the change is written
  /// to the `.auth` table in one transaction with `applied`, then becomes the current state.
  func apply<T>(
    _ applied: ConsistentIndex?, _ body: (inout Change, AuthState) throws(AuthError) -> T
  ) throws(AuthError) -> T {
    try writer.withLock { _ throws(AuthError) -> T in
      let before = state
      var change = Change(before)
      let result: T
      do throws(AuthError) { result = try body(&change, before) } catch {
        try record(applied)
        throw error
      }
      let revision = change.bumpsRevision ? before.revision + 1 : before.revision
      if change.bumpsRevision { change.writes.append((AuthRecords.revisionName, AuthRecords.encodeRevision(revision))) }
      guard !change.writes.isEmpty else {
        try record(applied)
        return result
      }
      // One change: every row and the entry's index commit together.
      do throws(MVCCError) { try kv.writeBlobs(.auth, change.writes, applied: applied) } catch { throw .storage(error) }
      var permissions = before.permissions
      let rebuild = change.affected ?? Set(change.users.keys)
      for name in rebuild {
        permissions[name] = change.users[name].map { AuthState.permissions(of: $0, roles: change.roles) }
      }
      let next = AuthState(
        enabled: change.enabled, revision: revision, users: change.users, roles: change.roles,
        permissions: permissions)
      current.withLock { $0 = next }
      return result
    }
  }

  /// Records the index of an entry that changed nothing.
  private func record(_ applied: ConsistentIndex?) throws(AuthError) {
    guard let applied else { return }
    do { try kv.setConsistentIndex(applied) } catch { throw .storage(error) }
  }

  // MARK: Enable, disable

  /// `auth enable`: refused unless user root exists with role root; a no-op when already on. Does not bump the
  /// revision (etcd's behaviour).
  public func authEnable(applied: ConsistentIndex? = nil) throws(AuthError) {
    let enabledNow = try apply(applied) { (change, state) throws(AuthError) -> Bool in
      guard !state.enabled else { return false }
      guard let root = state.users[AuthState.rootUser] else { throw .rootUserNotExist }
      guard AuthState.hasRootRole(root) else { throw .rootRoleNotExist }
      change.setEnabled(true)
      return true
    }
    if enabledNow { tokens.enable() }
  }

  /// `auth disable`: bumps the revision and forgets every token; a no-op when already off.
  public func authDisable(applied: ConsistentIndex? = nil) throws(AuthError) {
    let disabledNow = try apply(applied) { (change, state) throws(AuthError) -> Bool in
      guard state.enabled else { return false }
      change.setEnabled(false)
      change.bumpsRevision = true
      return true
    }
    if disabledNow { tokens.disable() }
  }

  // MARK: Authenticate

  /// Hashes a password at `--bcrypt-cost` for a `user add` / `user passwd` proposal (slow by design: run it off
  /// the request thread pool).
  public func hashPassword(_ password: String) throws(AuthError) -> [UInt8] {
    try bcrypt.hash(password)
  }

  /// The proposer's password check before it proposes an Authenticate entry: returns the auth revision it checked
  /// at (etcd retries when the revision moved before the entry applied). bcrypt: slow by design.
  public func checkPassword(user name: String, password: String) throws(AuthError) -> UInt64 {
    let state = self.state
    guard state.enabled else { throw .authNotEnabled }
    guard let user = state.users[name] else { throw .authFailed }
    if user.hasOptions && user.options.noPassword { throw .noPasswordUser }
    guard Bcrypt.verify(password, against: [UInt8](user.password)) else { throw .authFailed }
    return state.revision
  }

  /// The random part the proposer puts into an Authenticate entry ("" for JWT).
  public func makeTokenPrefix() -> String { tokens.makePrefix() }

  /// Applies an Authenticate entry: issues the token (simple: "`prefix`.`index`", registered on this member).
  public func authenticate(
    user name: String, tokenPrefix: String, index: UInt64, applied: ConsistentIndex? = nil
  ) throws(AuthError) -> String {
    let state = try apply(applied) { (_, state) throws(AuthError) -> AuthState in state }
    guard state.enabled else { throw .authNotEnabled }
    guard let user = state.users[name], !(user.hasOptions && user.options.noPassword) else { throw .authFailed }
    return try tokens.assign(user: name, revision: state.revision, prefix: tokenPrefix, index: index, now: now)
  }

  /// The identity behind a request's token; throws "invalid auth token" when it is unknown, expired or forged.
  public func authInfo(token: String) throws(AuthError) -> AuthInfo {
    guard let info = tokens.info(token: token, revision: state.revision, now: now) else { throw .invalidAuthToken }
    return info
  }

  /// The identity of a request, as etcd finds it: nil when auth is off; else the token (gRPC metadata "token" or
  /// "authorization") when there is one, else the verified client certificate's common name (with
  /// `--client-cert-auth`, never for requests the JSON gateway proxied), else nil (checks then refuse it).
  public func authInfo(token: String?, commonName: String?, viaGateway: Bool = false) throws(AuthError) -> AuthInfo? {
    guard isEnabled else { return nil }
    if let token { return try authInfo(token: token) }
    if let commonName, !commonName.isEmpty, !viaGateway {
      return AuthInfo(username: commonName, revision: revision)
    }
    return nil
  }

  /// Forgets expired simple tokens (call about once a second; lookups also refuse expired tokens by themselves).
  public func purgeExpiredTokens() { tokens.purgeExpired(now: now) }
}
