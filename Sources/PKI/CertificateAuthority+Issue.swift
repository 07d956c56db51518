// Issuing leaf certificates (server, peer, client) from a CertificateAuthority.
import Crypto
import Foundation
import SwiftASN1
import X509

/// A freshly issued leaf certificate and its new private key.
public struct IssuedCertificate: Sendable {
  /// The certificate as PEM text, ending in a newline.
  public let certificatePEM: String
  /// The private key (ECDSA P-256, PKCS#8) as PEM text, ending in a newline. Secret: mode 0600, never log it.
  public let privateKeyPEM: String
  /// The certificate, parsed.
  public let inspection: InspectedCertificate
}

extension CertificateAuthority {
  /// How long an issued leaf certificate is valid by default: 1 year (365 days) from now.
  public static let defaultLeafValidity: TimeInterval = 365 * 86_400

  /// Issues a leaf certificate with a fresh ECDSA P-256 key.
  ///
  /// The certificate carries: subject CN = `request.commonName`; the profile's extended key usages (server and
  /// peer: serverAuth + clientAuth; client: clientAuth); keyUsage digitalSignature + keyEncipherment (critical);
  /// basicConstraints CA:FALSE (critical); the DNS and IP subjectAltNames of the request (duplicates removed);
  /// a random positive 16-byte serial; SubjectKeyIdentifier and AuthorityKeyIdentifier.
  /// - Parameters:
  ///   - notBefore: Start of validity; default `now` minus ``defaultBackdate`` (1 hour), so members whose clock
  ///     lags accept it. Pass an earlier date to cope with larger skew.
  ///   - notAfter: End of validity; default `now` plus ``defaultLeafValidity`` (1 year). It is cut to the CA's own
  ///     notAfter, since a chain is no longer valid once its CA has expired.
  /// - Throws: ``PKIError`` for invalid names, addresses or validity.
  public func issue(
    _ request: CertificateRequest, notBefore: Date? = nil, notAfter: Date? = nil, now: Date = Date()
  ) throws -> IssuedCertificate {
    try request.validate()
    let start = notBefore ?? now.addingTimeInterval(-Self.defaultBackdate)
    let end = min(notAfter ?? now.addingTimeInterval(Self.defaultLeafValidity), certificate.notValidAfter)
    guard end > start else { throw PKIError.invalidValidity(notBefore: start, notAfter: end) }

    let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    let facts = try PKIError.wrapSigning { try PublicKeyFacts(key.publicKey) }
    let names = try Self.subjectAlternativeNames(for: request)
    let usages: [ExtendedKeyUsage.Usage] =
      switch request.profile {
      case .server, .peer: [.serverAuth, .clientAuth]
      case .client: [.clientAuth]
      }
    let certificate = try PKIError.wrapSigning {
      let subject = try DistinguishedName { CommonName(request.commonName) }
      let extensions = try Certificate.Extensions {
        Critical(BasicConstraints.notCertificateAuthority)
        Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
        try ExtendedKeyUsage(usages)
        if !names.isEmpty { SubjectAlternativeNames(names) }
        SubjectKeyIdentifier(keyIdentifier: facts.keyIdentifier[...])
        AuthorityKeyIdentifier(keyIdentifier: keyIdentifier[...])
      }
      return try Certificate(
        version: .v3, serialNumber: SerialNumbers.random(), publicKey: key.publicKey,
        notValidBefore: start, notValidAfter: end, issuer: self.certificate.subject, subject: subject,
        signatureAlgorithm: signatureAlgorithm, extensions: extensions, issuerPrivateKey: privateKey)
    }
    let certificatePEM = try PKIError.wrapSigning { try certificate.serializeAsPEM().pemString } + "\n"
    let keyPEM = try PKIError.wrapSigning { try key.serializeAsPEM().pemString } + "\n"
    return IssuedCertificate(
      certificatePEM: certificatePEM, privateKeyPEM: keyPEM, inspection: InspectedCertificate(certificate: certificate))
  }

  /// The signature algorithm matching the CA key: SHA-384 for P-384, SHA-256 otherwise.
  var signatureAlgorithm: Certificate.SignatureAlgorithm {
    switch keyFacts.typeName {
    case "ECDSA P-384": return .ecdsaWithSHA384
    case let name where name.hasPrefix("RSA"): return .sha256WithRSAEncryption
    default: return .ecdsaWithSHA256
    }
  }

  /// DNS names (lower-cased) then IP addresses (canonical), each once, in the order given.
  static func subjectAlternativeNames(for request: CertificateRequest) throws -> [GeneralName] {
    var seenDNS = Set<String>(), seenIP = Set<[UInt8]>()
    var names: [GeneralName] = []
    for name in request.dnsNames {
      let lower = name.lowercased()
      if seenDNS.insert(lower).inserted { names.append(.dnsName(lower)) }
    }
    for ip in request.ipAddresses {
      let bytes = try IPAddressText.bytes(of: ip)
      if seenIP.insert(bytes).inserted { names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
    }
    return names
  }
}
