// Passwords (bcrypt), Authenticate, simple tokens with an injected clock, the TLS common-name identity.

import EtcdServer
import Testing

@Suite struct PasswordAndTokenTests {
  @Test func bcryptHashVerifiesAndAWrongPasswordFails() throws {
    let bcrypt = Bcrypt(cost: Bcrypt.minCost)
    let hash = try bcrypt.hash("s3cret")
    #expect(String(decoding: hash, as: UTF8.self).hasPrefix("$2b$04$"))
    #expect(Bcrypt.verify("s3cret", against: hash))
    #expect(!Bcrypt.verify("s3cret!", against: hash))
    #expect(!Bcrypt.verify("", against: hash))
    #expect(try bcrypt.hash("s3cret") != hash)  // salted
  }

  @Test func goStyle2aHashesVerify() {
    // Openwall crypt_blowfish test vector (Go's bcrypt writes "$2a$").
    let hash = Array("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".utf8)
    #expect(Bcrypt.verify("U*U", against: hash))
    #expect(!Bcrypt.verify("U*V", against: hash))
    #expect(!Bcrypt.verify("U*U", against: []))
  }

  @Test func bcryptCostOutsideBoundsFallsBackToTen() {
    #expect(Bcrypt(cost: 3).cost == 10)
    #expect(Bcrypt(cost: 32).cost == 10)
    #expect(Bcrypt(cost: 12).cost == 12)
    #expect(!Bcrypt.isValidCost(3) && Bcrypt.isValidCost(4) && Bcrypt.isValidCost(31))
  }

  @Test func passwordCheckRefusals() throws {
    let f = try AuthFixture()
    try f.auth.userAdd(name: "root", credential: .hashed(f.auth.hashPassword("pw")))
    #expect(throws: AuthError.authNotEnabled) { try f.auth.checkPassword(user: "root", password: "pw") }
    try f.auth.userGrantRole(user: "root", role: "root")
    try f.auth.authEnable()
    try f.auth.userAdd(name: "np", credential: .noPassword)
    #expect(try f.auth.checkPassword(user: "root", password: "pw") == f.auth.revision)
    #expect(throws: AuthError.authFailed) { try f.auth.checkPassword(user: "root", password: "bad") }
    #expect(throws: AuthError.authFailed) { try f.auth.checkPassword(user: "nosuch", password: "pw") }
    #expect(throws: AuthError.noPasswordUser) { try f.auth.checkPassword(user: "np", password: "x") }
    #expect(throws: AuthError.authFailed) { try f.auth.authenticate(user: "np", tokenPrefix: "p", index: 1) }
    #expect(throws: AuthError.authFailed) { try f.auth.authenticate(user: "nosuch", tokenPrefix: "p", index: 1) }
  }

  @Test func simpleTokenIsSixteenLettersDotIndex() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    let token = try f.login("root", "pw", index: 42)
    let parts = token.split(separator: ".")
    #expect(parts.count == 2 && parts[1] == "42")
    #expect(parts[0].count == 16 && parts[0].allSatisfy { $0.isASCII && $0.isLetter })
    #expect(try f.auth.authInfo(token: token) == AuthInfo(username: "root", revision: f.auth.revision))
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: "nodot") }
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: parts[0] + ".43") }
  }

  @Test func simpleTokenExpiresAfterItsTTLUnlessUsed() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    let token = try f.login("root", "pw")
    f.clock.advance(.seconds(299))
    _ = try f.auth.authInfo(token: token)  // use renews the TTL
    f.clock.advance(.seconds(299))
    _ = try f.auth.authInfo(token: token)
    f.clock.advance(.seconds(301))
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: token) }
    let other = try f.login("root", "pw", index: 8)
    f.clock.advance(.seconds(301))
    f.auth.purgeExpiredTokens()
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: other) }
  }

  @Test func tokensAreDroppedWhenTheirUserChangesOrAuthIsDisabled() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    try f.auth.userAdd(name: "u", credential: .hashed(f.auth.hashPassword("p")))
    let uToken = try f.login("u", "p", index: 10)
    let rootToken = try f.login("root", "pw", index: 11)
    try f.auth.userChangePassword(name: "u", hashedPassword: f.auth.hashPassword("q"))
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: uToken) }
    #expect(try f.auth.authInfo(token: rootToken).username == "root")
    let uToken2 = try f.login("u", "q", index: 12)
    try f.auth.userDelete(name: "u")
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: uToken2) }
    try f.auth.authDisable()
    try f.auth.authEnable()
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: rootToken) }
  }

  @Test func clientCertificateCommonNameIsTheUserWhenNoTokenIsGiven() throws {
    let f = try AuthFixture()
    try f.enableWithRoot()
    let expected = AuthInfo(username: "alice", revision: f.auth.revision)
    #expect(try f.auth.authInfo(token: nil, commonName: "alice") == expected)
    #expect(try f.auth.authInfo(token: nil, commonName: "alice", viaGateway: true) == nil)
    #expect(try f.auth.authInfo(token: nil, commonName: nil) == nil)
    let token = try f.login("root", "pw")
    #expect(try f.auth.authInfo(token: token, commonName: "alice")?.username == "root")
    #expect(throws: AuthError.invalidAuthToken) { try f.auth.authInfo(token: "bad.1", commonName: "alice") }
  }
}
