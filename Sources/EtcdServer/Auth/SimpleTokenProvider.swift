// Token providers: what an Authenticate entry hands out and how a request's token maps back to a user. `simple`
// tokens are etcd 3.4's "<16 random letters>.<raft index>", held in memory on every member with a TTL that each use
// renews; they do not survive a restart and are dropped when their user changes or auth is disabled.

import Synchronization

/// The time a token operation runs at (read once from the store's `AuthClock`).
struct AuthNow: Sendable {
  var monotonic: Duration
  var unixSeconds: Int64
}

/// Issues and resolves tokens (etcd's TokenProvider).
protocol AuthTokenProvider: Sendable {
  /// Auth was turned on.
  func enable()
  /// Auth was turned off: every token is forgotten.
  func disable()
  /// The user was deleted or changed its password: its tokens are forgotten.
  func invalidate(user: String)
  /// The random part of a token the proposer puts in the Authenticate entry ("" when the provider needs none).
  func makePrefix() -> String
  /// A token for `user` at auth revision `revision`, from the Authenticate entry at raft `index`.
  func assign(user: String, revision: UInt64, prefix: String, index: UInt64, now: AuthNow) throws(AuthError) -> String
  /// The identity behind `token`, nil when unknown, expired or forged. `revision` is the store's current one.
  func info(token: String, revision: UInt64, now: AuthNow) -> AuthInfo?
  /// Forgets expired tokens (the caller runs this about once a second, as etcd's TTL keeper does).
  func purgeExpired(now: AuthNow)
}

/// etcd's `simple` tokens.
final class SimpleTokenProvider: AuthTokenProvider {
  private struct Entry {
    var user: String
    var expiry: Duration
  }

  private let ttl: Duration
  private let tokens = Mutex<[String: Entry]>([:])
  private static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

  init(ttl: Duration) { self.ttl = ttl }

  func enable() {}

  func disable() { tokens.withLock { $0.removeAll() } }

  func invalidate(user: String) {
    tokens.withLock { tokens in tokens = tokens.filter { $0.value.user != user } }
  }

  func makePrefix() -> String {
    var generator = SystemRandomNumberGenerator()
    return String((0..<16).map { _ in Self.letters[Int(generator.next(upperBound: UInt(Self.letters.count)))] })
  }

  func assign(user: String, revision: UInt64, prefix: String, index: UInt64, now: AuthNow) throws(AuthError) -> String {
    let token = "\(prefix).\(index)"
    let expiry = now.monotonic + ttl
    tokens.withLock { $0[token] = Entry(user: user, expiry: expiry) }
    return token
  }

  func info(token: String, revision: UInt64, now: AuthNow) -> AuthInfo? {
    // etcd accepts only "<prefix>.<decimal index>".
    guard let dot = token.firstIndex(of: "."), UInt64(token[token.index(after: dot)...]) != nil else { return nil }
    let renewed = now.monotonic + ttl
    return tokens.withLock { tokens -> AuthInfo? in
      guard let entry = tokens[token] else { return nil }
      guard entry.expiry > now.monotonic else {
        tokens[token] = nil
        return nil
      }
      tokens[token]?.expiry = renewed
      return AuthInfo(username: entry.user, revision: revision)
    }
  }

  func purgeExpired(now: AuthNow) {
    tokens.withLock { tokens in tokens = tokens.filter { $0.value.expiry > now.monotonic } }
  }

  /// The number of live tokens (for tests and metrics).
  var count: Int { tokens.withLock { $0.count } }
}

/// `--auth-token ""`: authenticate always fails and no token resolves (etcd's nop provider).
struct NoTokenProvider: AuthTokenProvider {
  func enable() {}
  func disable() {}
  func invalidate(user: String) {}
  func makePrefix() -> String { "" }
  func assign(user: String, revision: UInt64, prefix: String, index: UInt64, now: AuthNow) throws(AuthError) -> String {
    throw .authFailed
  }
  func info(token: String, revision: UInt64, now: AuthNow) -> AuthInfo? { nil }
  func purgeExpired(now: AuthNow) {}
}
