// `jwt` tokens: signed with the configured key (RSA PKCS#1 v1.5 or PSS, ECDSA P-256/384/521, or HMAC), carrying the
// user, the auth revision and an expiry; nothing is stored, so they survive restarts and work on every member that
// has the key. With only `pub-key` the provider verifies but cannot issue ("auth: token signing attempted with
// verify-only key").

import Crypto
import _CryptoExtras
import Foundation

/// etcd's JWT token provider.
final class JWTTokenProvider: AuthTokenProvider {
  private enum Key: @unchecked Sendable {
    case rsa(signer: _RSA.Signing.PrivateKey?, verifier: _RSA.Signing.PublicKey)
    case p256(signer: P256.Signing.PrivateKey?, verifier: P256.Signing.PublicKey)
    case p384(signer: P384.Signing.PrivateKey?, verifier: P384.Signing.PublicKey)
    case p521(signer: P521.Signing.PrivateKey?, verifier: P521.Signing.PublicKey)
    case hmac(SymmetricKey)
  }

  private let method: JWTSigningMethod
  private let key: Key
  private let ttl: Duration

  /// Loads the keys of `options`; throws etcd's key errors.
  init(_ options: AuthTokenOptions.JWTOptions) throws(AuthError) {
    method = options.method
    ttl = options.ttl
    key = try Self.loadKey(options)
  }

  /// Whether only verification is possible (no private key).
  var verifyOnly: Bool {
    switch key {
    case .rsa(let signer, _): signer == nil
    case .p256(let signer, _): signer == nil
    case .p384(let signer, _): signer == nil
    case .p521(let signer, _): signer == nil
    case .hmac: false
    }
  }

  func enable() {}
  func disable() {}
  func invalidate(user: String) {}
  func makePrefix() -> String { "" }
  func purgeExpired(now: AuthNow) {}

  func assign(user: String, revision: UInt64, prefix: String, index: UInt64, now: AuthNow) throws(AuthError) -> String {
    let claims = JWT.Claims(username: user, revision: revision, expires: now.unixSeconds + ttl.components.seconds)
    let input = JWT.signingInput(method: method, claims: claims)
    guard let signature = sign(Data(input.utf8)) else { throw .verifyOnly }
    return input + "." + JWT.base64URL(signature)
  }

  func info(token: String, revision: UInt64, now: AuthNow) -> AuthInfo? {
    guard let parsed = JWT.parse(token), parsed.alg == method.rawValue,
      verify(Data(parsed.input.utf8), signature: parsed.signature)
    else { return nil }
    if let expires = parsed.claims.expires, now.unixSeconds > expires { return nil }
    return AuthInfo(username: parsed.claims.username, revision: parsed.claims.revision)
  }

  // MARK: Signatures

  private func sign(_ data: Data) -> [UInt8]? {
    do {
      switch key {
      case .rsa(let signer, _):
        guard let signer else { return nil }
        let padding: _RSA.Signing.Padding = isPSS ? .PSS : .insecurePKCS1v1_5
        switch method {
        case .rs384, .ps384: return [UInt8](try signer.signature(for: SHA384.hash(data: data), padding: padding).rawRepresentation)
        case .rs512, .ps512: return [UInt8](try signer.signature(for: SHA512.hash(data: data), padding: padding).rawRepresentation)
        default: return [UInt8](try signer.signature(for: SHA256.hash(data: data), padding: padding).rawRepresentation)
        }
      case .p256(let signer, _):
        guard let signer else { return nil }
        return [UInt8](try signer.signature(for: data).rawRepresentation)
      case .p384(let signer, _):
        guard let signer else { return nil }
        return [UInt8](try signer.signature(for: data).rawRepresentation)
      case .p521(let signer, _):
        guard let signer else { return nil }
        return [UInt8](try signer.signature(for: data).rawRepresentation)
      case .hmac(let secret):
        switch method {
        case .hs384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: secret))
        case .hs512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: secret))
        default: return Array(HMAC<SHA256>.authenticationCode(for: data, using: secret))
        }
      }
    } catch {
      return nil
    }
  }

  private func verify(_ data: Data, signature: [UInt8]) -> Bool {
    switch key {
    case .rsa(_, let verifier):
      let padding: _RSA.Signing.Padding = isPSS ? .PSS : .insecurePKCS1v1_5
      let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
      switch method {
      case .rs384, .ps384: return verifier.isValidSignature(rsaSignature, for: SHA384.hash(data: data), padding: padding)
      case .rs512, .ps512: return verifier.isValidSignature(rsaSignature, for: SHA512.hash(data: data), padding: padding)
      default: return verifier.isValidSignature(rsaSignature, for: SHA256.hash(data: data), padding: padding)
      }
    case .p256(_, let verifier):
      guard let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
      return verifier.isValidSignature(sig, for: data)
    case .p384(_, let verifier):
      guard let sig = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
      return verifier.isValidSignature(sig, for: data)
    case .p521(_, let verifier):
      guard let sig = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
      return verifier.isValidSignature(sig, for: data)
    case .hmac(let secret):
      switch method {
      case .hs384: return HMAC<SHA384>.isValidAuthenticationCode(signature, authenticating: data, using: secret)
      case .hs512: return HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: data, using: secret)
      default: return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: data, using: secret)
      }
    }
  }

  private var isPSS: Bool { [.ps256, .ps384, .ps512].contains(method) }

  // MARK: Keys

  private static func loadKey(_ options: AuthTokenOptions.JWTOptions) throws(AuthError) -> Key {
    let privatePEM = options.privateKeyPEM
    let publicPEM = options.publicKeyPEM
    switch options.method {
    case .hs256, .hs384, .hs512:
      guard let secret = privatePEM, !secret.isEmpty else { throw .missingKey }
      return .hmac(SymmetricKey(data: Data(secret.utf8)))
    case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512:
      let pair = try keyPair(
        privatePEM, publicPEM, makePrivate: { try _RSA.Signing.PrivateKey(pemRepresentation: $0) },
        makePublic: { try _RSA.Signing.PublicKey(pemRepresentation: $0) }, derive: { $0.publicKey },
        same: { $0.derRepresentation == $1.derRepresentation })
      return .rsa(signer: pair.0, verifier: pair.1)
    case .es256:
      let pair = try keyPair(
        privatePEM, publicPEM, makePrivate: { try P256.Signing.PrivateKey(pemRepresentation: $0) },
        makePublic: { try P256.Signing.PublicKey(pemRepresentation: $0) }, derive: { $0.publicKey },
        same: { $0.rawRepresentation == $1.rawRepresentation })
      return .p256(signer: pair.0, verifier: pair.1)
    case .es384:
      let pair = try keyPair(
        privatePEM, publicPEM, makePrivate: { try P384.Signing.PrivateKey(pemRepresentation: $0) },
        makePublic: { try P384.Signing.PublicKey(pemRepresentation: $0) }, derive: { $0.publicKey },
        same: { $0.rawRepresentation == $1.rawRepresentation })
      return .p384(signer: pair.0, verifier: pair.1)
    case .es512:
      let pair = try keyPair(
        privatePEM, publicPEM, makePrivate: { try P521.Signing.PrivateKey(pemRepresentation: $0) },
        makePublic: { try P521.Signing.PublicKey(pemRepresentation: $0) }, derive: { $0.publicKey },
        same: { $0.rawRepresentation == $1.rawRepresentation })
      return .p521(signer: pair.0, verifier: pair.1)
    }
  }

  /// Parses the private and/or public PEM; the verifier is the given public key or the private key's.
  private static func keyPair<Private, Public>(
    _ privatePEM: String?, _ publicPEM: String?, makePrivate: (String) throws -> Private,
    makePublic: (String) throws -> Public, derive: (Private) -> Public, same: (Public, Public) -> Bool
  ) throws(AuthError) -> (Private?, Public) {
    var signer: Private?
    var verifier: Public?
    if let privatePEM, !privatePEM.isEmpty {
      do { signer = try makePrivate(privatePEM) } catch {
        throw .invalidAuthOptions(detail: "priv-key is not a PEM private key for this sign-method: \(error)")
      }
    }
    if let publicPEM, !publicPEM.isEmpty {
      do { verifier = try makePublic(publicPEM) } catch {
        throw .invalidAuthOptions(detail: "pub-key is not a PEM public key for this sign-method: \(error)")
      }
    }
    if let signer {
      let derived = derive(signer)
      if let verifier, !same(verifier, derived) { throw .keyMismatch }
      return (signer, derived)
    }
    guard let verifier else { throw .missingKey }
    return (nil, verifier)
  }
}
