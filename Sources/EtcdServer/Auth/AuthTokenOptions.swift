// `--auth-token`: "simple" (default) or "jwt,pub-key=P,priv-key=K,sign-method=M,ttl=D", parsed with etcd 3.4's
// rules and refusals (duplicate or malformed options: "auth: invalid auth options"; no key: "auth: missing key data").

import Foundation

/// Where the auth store reads time: a monotonic clock for simple-token expiry and Unix seconds for JWT `exp`.
public struct AuthClock: Sendable {
  /// Monotonic time since an arbitrary origin.
  public var monotonic: @Sendable () -> Duration
  /// Seconds since 1970 (JWT `exp` claims).
  public var unixSeconds: @Sendable () -> Int64

  /// Creates a clock from two readers.
  public init(monotonic: @escaping @Sendable () -> Duration, unixSeconds: @escaping @Sendable () -> Int64) {
    self.monotonic = monotonic
    self.unixSeconds = unixSeconds
  }

  /// The system clocks.
  public static var system: AuthClock {
    let origin = ContinuousClock.now
    return AuthClock(
      monotonic: { ContinuousClock.now - origin },
      unixSeconds: { Int64(Date().timeIntervalSince1970) })
  }
}

/// The token kind chosen by `--auth-token`.
public enum AuthTokenOptions: Sendable, Equatable {
  /// Random "prefix.index" tokens kept in memory with a TTL (etcd's default, `simple`).
  case simple
  /// Signed JSON web tokens.
  case jwt(JWTOptions)
  /// `--auth-token ""`: no tokens are issued (authenticate fails; etcd's nop provider).
  case none

  /// Settings of `jwt`.
  public struct JWTOptions: Sendable, Equatable {
    /// `sign-method`.
    public var method: JWTSigningMethod
    /// The PEM text of `pub-key`, if given.
    public var publicKeyPEM: String?
    /// The PEM text (or HMAC secret) of `priv-key`, if given.
    public var privateKeyPEM: String?
    /// `ttl` (default 5 minutes).
    public var ttl: Duration

    /// Creates JWT settings.
    public init(method: JWTSigningMethod, publicKeyPEM: String?, privateKeyPEM: String?, ttl: Duration = .seconds(300)) {
      self.method = method
      self.publicKeyPEM = publicKeyPEM
      self.privateKeyPEM = privateKeyPEM
      self.ttl = ttl
    }
  }

  /// Parses an `--auth-token` value; `readFile` loads the key files (etcd reads them at start).
  ///
  /// Unknown `jwt` options are ignored (etcd warns); they are returned in `ignored` for the caller's log.
  public static func parse(
    _ value: String, readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
  ) throws(AuthError) -> (options: AuthTokenOptions, ignored: [String]) {
    let parts = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var settings: [String: String] = [:]
    for part in parts.dropFirst() {
      let pair = part.split(separator: "=", omittingEmptySubsequences: false)
      guard pair.count == 2 else { throw .invalidAuthOptions(detail: "\"\(part)\" is not key=value") }
      let key = String(pair[0])
      guard settings[key] == nil else { throw .invalidAuthOptions(detail: "\(key) is given twice") }
      settings[key] = String(pair[1])
    }
    switch parts[0] {
    case "":
      return (.none, [])
    case "simple":
      return (.simple, [])
    case "jwt":
      let known: Set = ["sign-method", "pub-key", "priv-key", "ttl"]
      let ignored = settings.keys.filter { !known.contains($0) }.sorted()
      var ttl = Duration.seconds(300)
      if let text = settings["ttl"], !text.isEmpty {
        guard let parsed = parseGoDuration(text) else { throw .invalidAuthOptions(detail: "ttl \(text) is no duration") }
        ttl = parsed
      }
      func load(_ option: String) throws(AuthError) -> String? {
        guard let path = settings[option], !path.isEmpty else { return nil }
        do { return try readFile(path) } catch {
          throw .invalidAuthOptions(detail: "\(option) \(path) cannot be read: \(error)")
        }
      }
      let publicKey = try load("pub-key")
      let privateKey = try load("priv-key")
      // etcd maps a bad sign-method to "invalid auth options" at start (after logging the signature-method error).
      guard let method = JWTSigningMethod(rawValue: settings["sign-method"] ?? "") else {
        throw .invalidAuthOptions(detail: AuthError.invalidAuthMethod.description)
      }
      return (.jwt(JWTOptions(method: method, publicKeyPEM: publicKey, privateKeyPEM: privateKey, ttl: ttl)), ignored)
    default:
      throw .invalidAuthOptions(detail: "unknown token type \"\(parts[0])\"")
    }
  }

  /// Parses a Go duration such as "5m", "300s", "1h30m", "1.5s", "250ms".
  static func parseGoDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [
      ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]
    var rest = Substring(text)
    var seconds = 0.0
    guard !rest.isEmpty else { return nil }
    if rest == "0" { return .zero }
    while !rest.isEmpty {
      let number = rest.prefix { $0.isNumber || $0 == "." }
      guard !number.isEmpty, let value = Double(number) else { return nil }
      rest = rest.dropFirst(number.count)
      // Longest unit first so "ms" is not read as "m".
      guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else {
        return nil
      }
      rest = rest.dropFirst(unit.0.count)
      seconds += value * unit.1
    }
    return .nanoseconds(Int64((seconds * 1e9).rounded()))
  }
}
