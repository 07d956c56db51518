// JWT tokens with keys made by openssl, and `--auth-token` parsing with etcd's refusals.

import EtcdServer
import Foundation
import Testing
import TestSupport

@Suite struct JWTTokenTests {
  /// A temp dir with an RSA key pair, a second RSA public key, and a P-256 pair, all PEM.
  final class Keys: Sendable {
    let dir = makeTemporaryDirectory("swetcd-jwt")

    static func make() async throws -> Keys {
      let keys = Keys()
      let dir = keys.dir
      try await offPool {
        let commands: [[String]] = [
          ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "\(dir)/rsa.key"],
          ["pkey", "-in", "\(dir)/rsa.key", "-pubout", "-out", "\(dir)/rsa.pub"],
          ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "\(dir)/other.key"],
          ["pkey", "-in", "\(dir)/other.key", "-pubout", "-out", "\(dir)/other.pub"],
          ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(dir)/ec.key"],
          ["ec", "-in", "\(dir)/ec.key", "-pubout", "-out", "\(dir)/ec.pub"],
        ]
        for arguments in commands {
          let result = try ChildProcess.run("/usr/bin/openssl", arguments, timeout: 60)
          guard result.status == 0 else { throw KeyError(message: "openssl \(arguments[0]): \(result.stderr)") }
        }
      }
      return keys
    }

    func path(_ name: String) -> String { "\(dir)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: dir) }
  }

  struct KeyError: Error { var message: String }

  /// Auth on with root/pw, tokens per `option`.
  func fixture(_ option: String) throws -> AuthFixture {
    let f = try AuthFixture(token: AuthTokenOptions.parse(option).options)
    try f.enableWithRoot()
    return f
  }

  func roundTrip(_ method: String, key: String, pub: String, keys: Keys) throws {
    let f = try fixture("jwt,pub-key=\(keys.path(pub)),priv-key=\(keys.path(key)),sign-method=\(method),ttl=5m")
    let token = try f.login("root", "pw")
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    #expect(parts.count == 3)
    #expect(try f.auth.authInfo(token: token) == AuthInfo(username: "root", revision: f.auth.revision))

    // Claims swapped for another user's, signature kept: refused.
    let forged = Data(#"{"exp":9999999999,"revision":99,"username":"mallory"}"#.utf8).base64EncodedString()
      .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_")
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: "\(parts[0]).\(forged).\(parts[2])") }
    // One signature byte changed: refused.
    var signature = Array(parts[2])
    signature[5] = signature[5] == "A" ? "B" : "A"
    #expect(throws: AuthError.invalidAuthToken) {
      try f.auth.authInfo(token: "\(parts[0]).\(parts[1]).\(String(signature))")
    }
    // Past its exp (ttl 5m): refused. JWT tokens outlive restarts, unlike simple ones.
    try f.reopen()
    #expect(try f.auth.authInfo(token: token).username == "root")
    f.clock.advance(.seconds(301))
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: token) }
  }

  @Test func jwtRoundTripsWithRS256AndES256AndPS256() async throws {
    let keys = try await Keys.make()
    try roundTrip("RS256", key: "rsa.key", pub: "rsa.pub", keys: keys)
    try roundTrip("PS384", key: "rsa.key", pub: "rsa.pub", keys: keys)
    try roundTrip("ES256", key: "ec.key", pub: "ec.pub", keys: keys)
  }

  @Test func jwtHeaderAndClaimsAreEtcds() async throws {
    let keys = try await Keys.make()
    let f = try fixture("jwt,priv-key=\(keys.path("ec.key")),sign-method=ES256")
    let token = try f.login("root", "pw")
    func decode(_ part: Substring) -> String {
      var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
      while text.count % 4 != 0 { text += "=" }
      return String(decoding: Data(base64Encoded: text) ?? Data(), as: UTF8.self)
    }
    let parts = token.split(separator: ".")
    #expect(decode(parts[0]) == #"{"alg":"ES256","typ":"JWT"}"#)
    #expect(decode(parts[1]) == #"{"exp":1700000300,"revision":\#(f.auth.revision),"username":"root"}"#)
  }

  @Test func verifyOnlyKeysCheckButCannotIssue() async throws {
    let keys = try await Keys.make()
    let signer = try fixture("jwt,priv-key=\(keys.path("rsa.key")),sign-method=RS256")
    let token = try signer.login("root", "pw")
    let verifier = try fixture("jwt,pub-key=\(keys.path("rsa.pub")),sign-method=RS256")
    #expect(try verifier.auth.authInfo(token: token).username == "root")
    #expect(throws: AuthError.verifyOnly) { try verifier.login("root", "pw") }
    let stranger = try fixture("jwt,pub-key=\(keys.path("other.pub")),sign-method=RS256")
    #expect(throws: AuthError.invalidAuthToken) { try stranger.auth.authInfo(token: token) }
    let wrongMethod = try fixture("jwt,pub-key=\(keys.path("rsa.pub")),sign-method=RS512")
    #expect(throws: AuthError.invalidAuthToken) { try wrongMethod.auth.authInfo(token: token) }
  }

  @Test func keyErrorsAreEtcds() async throws {
    let keys = try await Keys.make()
    #expect(throws: AuthError.missingKey) { try fixture("jwt,sign-method=RS256") }
    #expect(throws: AuthError.keyMismatch) {
      try fixture("jwt,pub-key=\(keys.path("other.pub")),priv-key=\(keys.path("rsa.key")),sign-method=RS256")
    }
    #expect(AuthError.missingKey.description.hasPrefix("auth: missing key data"))
  }

  @Test func authTokenOptionParsing() throws {
    #expect(try AuthTokenOptions.parse("simple").options == .simple)
    #expect(try AuthTokenOptions.parse("").options == AuthTokenOptions.none)
    let files: (String) throws -> String = { "PEM of \($0)" }
    let parsed = try AuthTokenOptions.parse("jwt,priv-key=/k,sign-method=ES384,ttl=1h30m,extra=1", readFile: files)
    #expect(parsed.ignored == ["extra"])
    guard case .jwt(let jwt) = parsed.options else { Issue.record("not jwt"); return }
    #expect(jwt.method == .es384 && jwt.privateKeyPEM == "PEM of /k" && jwt.publicKeyPEM == nil)
    #expect(jwt.ttl == .seconds(5400))
    guard case .jwt(let defaulted) = try AuthTokenOptions.parse("jwt,sign-method=HS256,priv-key=/s", readFile: files).options
    else { Issue.record("not jwt"); return }
    #expect(defaulted.ttl == .seconds(300))
    for bad in ["foo", "simple,x", "jwt,sign-method=RS256,sign-method=RS256", "jwt,sign-method=XX256", "jwt,ttl=5q,sign-method=RS256"] {
      let error = #expect(throws: AuthError.self) { try AuthTokenOptions.parse(bad, readFile: files) }
      #expect(error?.description.hasPrefix("auth: invalid auth options") == true, "\(bad)")
    }
    let unreadable = #expect(throws: AuthError.self) {
      try AuthTokenOptions.parse("jwt,pub-key=/nonexistent/key,sign-method=RS256")
    }
    #expect(unreadable?.description.hasPrefix("auth: invalid auth options") == true)
  }

  @Test func hmacTokensRoundTrip() throws {
    let f = try AuthFixture(token: .jwt(.init(method: .hs256, publicKeyPEM: nil, privateKeyPEM: "shared secret")))
    try f.enableWithRoot()
    let token = try f.login("root", "pw")
    #expect(try f.auth.authInfo(token: token).username == "root")
    let other = try AuthFixture(token: .jwt(.init(method: .hs256, publicKeyPEM: nil, privateKeyPEM: "another")))
    #expect(throws: AuthError.invalidAuthToken) { try other.auth.authInfo(token: token) }
  }
}
