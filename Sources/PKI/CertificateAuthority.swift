// The cluster's certificate authority: generated here (ECDSA P-256) or loaded from the user's PEM files.
import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority that signs the members' server/peer certificates and the client certificates.
///
/// Generate one with ``generate(commonName:notBefore:notAfter:now:)`` (or ``generate(cluster:now:)``), or load
/// the user's own with ``init(certificatePEM:privateKeyPEM:certificateSource:keySource:)``; serialise it with
/// ``certificatePEM`` and ``privateKeyPEM()``. Issue leaves with
/// ``issue(_:notBefore:notAfter:now:)``.
public struct CertificateAuthority: Sendable {
  /// How long a generated CA is valid: 10 years (3650 days).
  public static let defaultValidity: TimeInterval = 3650 * 86_400
  /// How far a generated certificate's notBefore lies before "now": 1 hour, so that members whose clocks lag
  /// a little behind the machine that issued the certificate still accept it.
  public static let defaultBackdate: TimeInterval = 3600

  let certificate: Certificate
  let privateKey: Certificate.PrivateKey
  /// The key identifier leaves name in their AuthorityKeyIdentifier: the CA's own SubjectKeyIdentifier when
  /// it has one, else SHA-1 of its public key.
  let keyIdentifier: [UInt8]
  let keyFacts: PublicKeyFacts

  /// The common name swetcd-ops gives a CA it generates for `cluster`: "<cluster> swetcd CA".
  public static func defaultCommonName(cluster: String) -> String { "\(cluster) swetcd CA" }

  /// Generates a new CA for `cluster`, named ``defaultCommonName(cluster:)``, valid for 10 years.
  public static func generate(cluster: String, now: Date = Date()) throws -> CertificateAuthority {
    try generate(commonName: defaultCommonName(cluster: cluster), now: now)
  }

  /// Generates a new self-signed CA with a fresh ECDSA P-256 key.
  ///
  /// The certificate has basicConstraints CA:TRUE (critical), keyUsage keyCertSign and cRLSign (critical), and a
  /// SubjectKeyIdentifier.
  /// - Parameters:
  ///   - commonName: The subject (and issuer) CN, at most 64 characters.
  ///   - notBefore: Start of validity; default `now` minus ``defaultBackdate``.
  ///   - notAfter: End of validity; default `now` plus ``defaultValidity``.
  public static func generate(
    commonName: String, notBefore: Date? = nil, notAfter: Date? = nil, now: Date = Date()
  ) throws -> CertificateAuthority {
    guard !commonName.isEmpty, commonName.count <= 64 else { throw PKIError.invalidCommonName(commonName) }
    let start = notBefore ?? now.addingTimeInterval(-defaultBackdate)
    let end = notAfter ?? now.addingTimeInterval(defaultValidity)
    guard end > start else { throw PKIError.invalidValidity(notBefore: start, notAfter: end) }
    let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    let facts = try PKIError.wrapSigning { try PublicKeyFacts(key.publicKey) }
    let name = try PKIError.wrapSigning { try DistinguishedName { CommonName(commonName) } }
    let certificate = try PKIError.wrapSigning {
      let extensions = try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
        Critical(KeyUsage(keyCertSign: true, cRLSign: true))
        SubjectKeyIdentifier(keyIdentifier: facts.keyIdentifier[...])
      }
      return try Certificate(
        version: .v3, serialNumber: SerialNumbers.random(), publicKey: key.publicKey,
        notValidBefore: start, notValidAfter: end, issuer: name, subject: name,
        signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
    }
    return CertificateAuthority(certificate: certificate, privateKey: key, keyIdentifier: facts.keyIdentifier, keyFacts: facts)
  }

  /// Loads an existing CA (for example the user's own) from PEM text.
  ///
  /// Accepts ECDSA P-256, ECDSA P-384 and RSA (2048 bits or more) keys, in PKCS#8 (`PRIVATE KEY`), SEC1
  /// (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) form; encrypted keys are not supported.
  /// - Parameters:
  ///   - certificateSource: Names the certificate in error messages, e.g. its path.
  ///   - keySource: Names the key in error messages, e.g. its path.
  /// - Throws: ``PKIError/unreadablePEM(source:expected:detail:)``, ``PKIError/unsupportedKeyType(source:found:)``,
  ///   ``PKIError/notACertificateAuthority(source:detail:)`` or ``PKIError/keyDoesNotMatchCertificate(certificate:key:)``.
  public init(
    certificatePEM: String, privateKeyPEM: String,
    certificateSource: String = "the CA certificate", keySource: String = "the CA key"
  ) throws {
    let certificate = try InspectedCertificate.parseCertificate(certificatePEM, source: certificateSource)
    let facts: PublicKeyFacts
    do {
      facts = try PublicKeyFacts(certificate.publicKey)
    } catch {
      throw PKIError.unsupportedKeyType(source: certificateSource, found: "unrecognised")
    }
    guard facts.canSign else { throw PKIError.unsupportedKeyType(source: certificateSource, found: facts.typeName) }
    let key: Certificate.PrivateKey
    do {
      key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
    } catch {
      throw PKIError.unreadablePEM(source: keySource, expected: "private key", detail: Self.brief(error))
    }
    guard key.publicKey == certificate.publicKey else {
      throw PKIError.keyDoesNotMatchCertificate(certificate: certificateSource, key: keySource)
    }
    let extensions = certificate.extensions
    let basicConstraints = try? extensions.basicConstraints
    guard case .isCertificateAuthority = basicConstraints else {
      let detail = basicConstraints == nil ? "it has no basicConstraints extension" : "its basicConstraints say CA:FALSE"
      throw PKIError.notACertificateAuthority(source: certificateSource, detail: detail)
    }
    if let usage = try? extensions.keyUsage, !usage.keyCertSign {
      throw PKIError.notACertificateAuthority(source: certificateSource, detail: "its keyUsage lacks keyCertSign")
    }
    let ski = (try? extensions.subjectKeyIdentifier)?.map { Array($0.keyIdentifier) }
    self.init(certificate: certificate, privateKey: key, keyIdentifier: ski ?? facts.keyIdentifier, keyFacts: facts)
  }

  init(certificate: Certificate, privateKey: Certificate.PrivateKey, keyIdentifier: [UInt8], keyFacts: PublicKeyFacts) {
    self.certificate = certificate
    self.privateKey = privateKey
    self.keyIdentifier = keyIdentifier
    self.keyFacts = keyFacts
  }

  /// The CA certificate as PEM text (`-----BEGIN CERTIFICATE-----`), ending in a newline: the `ca.crt` file.
  public var certificatePEM: String {
    // Serialising a certificate we hold parsed or built cannot fail.
    ((try? certificate.serializeAsPEM().pemString) ?? "") + "\n"
  }

  /// The CA private key as PEM text (PKCS#8 for ECDSA, PKCS#1 for RSA), ending in a newline: the `ca.key` file.
  /// Secret: write it with mode 0600 and never log it.
  public func privateKeyPEM() throws -> String {
    try PKIError.wrapSigning { try privateKey.serializeAsPEM().pemString } + "\n"
  }

  /// The CA's subject common name.
  public var commonName: String { certificate.subject.commonName ?? "" }
  /// Start of the CA certificate's validity.
  public var notValidBefore: Date { certificate.notValidBefore }
  /// End of the CA certificate's validity.
  public var notValidAfter: Date { certificate.notValidAfter }
  /// The CA key type, e.g. "ECDSA P-256" or "RSA 4096-bit".
  public var keyType: String { keyFacts.typeName }
  /// The CA certificate, parsed, for inspection.
  public var inspection: InspectedCertificate { InspectedCertificate(certificate: certificate) }

  /// True if `certificate` names this CA as its issuer and its signature verifies with this CA's public key.
  public func signed(_ certificate: InspectedCertificate) -> Bool {
    certificate.certificate.issuer == self.certificate.subject
      && self.certificate.publicKey.isValidSignature(certificate.certificate.signature, for: certificate.certificate)
  }

  static func brief(_ error: any Error) -> String {
    let text = String(describing: error)
    return text.count > 200 ? String(text.prefix(200)) + "..." : text
  }
}

extension CertificateAuthority: Equatable {
  /// Two CAs are equal when they have the same certificate and the same key.
  public static func == (lhs: CertificateAuthority, rhs: CertificateAuthority) -> Bool {
    lhs.certificate == rhs.certificate && lhs.privateKey == rhs.privateKey
  }
}
