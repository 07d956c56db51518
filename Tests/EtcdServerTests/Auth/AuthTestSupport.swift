// Fixtures for the auth store tests: a KV store in a temp dir, a hand-driven clock, a cheap bcrypt cost.

import EtcdProto
import EtcdServer
import Foundation
import MVCC
import Synchronization
import TestSupport

/// A clock the test moves by hand.
final class ManualClock: Sendable {
  private let time = Mutex<(monotonic: Duration, unix: Int64)>((.seconds(1000), 1_700_000_000))

  var authClock: AuthClock {
    AuthClock(monotonic: { self.time.withLock { $0.monotonic } }, unixSeconds: { self.time.withLock { $0.unix } })
  }

  func advance(_ duration: Duration) {
    time.withLock {
      $0.monotonic += duration
      $0.unix += duration.components.seconds
    }
  }
}

/// A temp directory with a KV store for an auth store; removes the directory on `close`.
final class AuthFixture {
  let dir = makeTemporaryDirectory("swetcd-auth")
  let clock = ManualClock()
  private(set) var kv: KVStore!
  private(set) var auth: AuthStore!
  let token: AuthTokenOptions

  init(token: AuthTokenOptions = .simple) throws {
    self.token = token
    kv = try KVStore(path: dir + "/db")
    auth = try AuthStore(kv: kv, options: Self.options(token: token, clock: clock))
  }

  static func options(token: AuthTokenOptions, clock: ManualClock) -> AuthStoreOptions {
    AuthStoreOptions(token: token, simpleTokenTTL: .seconds(300), bcryptCost: Bcrypt.minCost, clock: clock.authClock)
  }

  /// Commits, closes and opens the KV store and auth store again from disk.
  func reopen() throws {
    try kv.commit()
    auth = nil
    kv = nil
    kv = try KVStore(path: dir + "/db")
    auth = try AuthStore(kv: kv, options: Self.options(token: token, clock: clock))
  }

  /// Adds user root with password `pw` and the root role, and enables auth.
  func enableWithRoot() throws {
    try auth.userAdd(name: "root", credential: .hashed(auth.hashPassword("pw")))
    try auth.userGrantRole(user: "root", role: "root")
    try auth.authEnable()
  }

  /// Authenticates through the same steps a proposer and the applier take.
  func login(_ user: String, _ password: String, index: UInt64 = 7) throws -> String {
    _ = try auth.checkPassword(user: user, password: password)
    return try auth.authenticate(user: user, tokenPrefix: auth.makeTokenPrefix(), index: index)
  }

  deinit {
    auth = nil
    kv = nil
    try? FileManager.default.removeItem(atPath: dir)
  }
}

/// A permission value.
func permission(_ type: Authpb_Permission.TypeEnum, _ key: String, _ rangeEnd: String = "") -> Authpb_Permission {
  var p = Authpb_Permission()
  p.permType = type
  p.key = Data(key.utf8)
  p.rangeEnd = Data(rangeEnd.utf8)
  return p
}

/// Bytes of a string key.
func k(_ text: String) -> [UInt8] { Array(text.utf8) }
