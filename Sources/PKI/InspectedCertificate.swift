// Reading an existing certificate: names, validity, usages — what an idempotent re-run needs to decide.
import Foundation
import SwiftASN1
import X509

/// A parsed certificate with the facts swetcd-ops checks before deciding to keep or reissue it.
public struct InspectedCertificate: Sendable, Equatable {
  let certificate: Certificate

  init(certificate: Certificate) {
    self.certificate = certificate
  }

  /// Parses a PEM certificate (the first `CERTIFICATE` block of `pem`).
  /// - Parameter source: Names the certificate in error messages, e.g. its path.
  /// - Throws: ``PKIError/unreadablePEM(source:expected:detail:)``.
  public init(pem: String, source: String = "the certificate") throws {
    self.init(certificate: try Self.parseCertificate(pem, source: source))
  }

  static func parseCertificate(_ pem: String, source: String) throws -> Certificate {
    do {
      let documents = try PEMDocument.parseMultiple(pemString: pem)
      guard let document = documents.first(where: { $0.discriminator == Certificate.defaultPEMDiscriminator }) else {
        let found = documents.map(\.discriminator)
        throw PKIError.unreadablePEM(
          source: source, expected: "certificate",
          detail: found.isEmpty ? "no PEM block found" : "found \(found.joined(separator: ", ")) but no CERTIFICATE")
      }
      return try Certificate(pemDocument: document)
    } catch let error as PKIError {
      throw error
    } catch {
      throw PKIError.unreadablePEM(source: source, expected: "certificate", detail: CertificateAuthority.brief(error))
    }
  }

  /// The subject common name, if any.
  public var commonName: String? { certificate.subject.commonName }
  /// The issuer common name, if any.
  public var issuerCommonName: String? { certificate.issuer.commonName }
  /// Start of validity.
  public var notValidBefore: Date { certificate.notValidBefore }
  /// End of validity.
  public var notValidAfter: Date { certificate.notValidAfter }
  /// The serial number as lower-case hex without separators.
  public var serialNumberHex: String {
    certificate.serialNumber.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }
  /// The certificate as PEM text, ending in a newline.
  public var pem: String { ((try? certificate.serializeAsPEM().pemString) ?? "") + "\n" }

  /// True if basicConstraints say CA:TRUE.
  public var isCertificateAuthority: Bool {
    if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
    return false
  }

  /// The DNS subjectAltNames, as written in the certificate.
  public var dnsNames: [String] {
    sanEntries.compactMap { if case .dnsName(let name) = $0 { name } else { nil } }
  }

  /// The IP subjectAltNames, as canonical text (e.g. "10.0.0.5", "fd00::5").
  public var ipAddresses: [String] {
    sanEntries.compactMap { if case .ipAddress(let octets) = $0 { IPAddressText.text(of: octets.bytes) } else { nil } }
  }

  /// The extended key usages, by their OpenSSL names ("serverAuth", "clientAuth", or the dotted OID).
  public var extendedKeyUsageNames: [String] {
    guard let usages = try? certificate.extensions.extendedKeyUsage else { return [] }
    return usages.map { usage in
      switch usage {
      case .serverAuth: "serverAuth"
      case .clientAuth: "clientAuth"
      default: String(describing: usage)
      }
    }
  }

  private var sanEntries: [GeneralName] {
    guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
    return Array(names)
  }

  /// The requested names that this certificate's subjectAltNames do not cover, as text, DNS names first.
  /// DNS names compare case-insensitively and exactly (a wildcard SAN is not expanded); IP addresses compare
  /// by value, so any textual form of an address matches. Unparseable addresses count as missing.
  public func missingNames(dnsNames: [String], ips: [String]) -> [String] {
    let haveDNS = Set(self.dnsNames.map { $0.lowercased() })
    let haveIP = Set(sanEntries.compactMap { if case .ipAddress(let octets) = $0 { Array(octets.bytes) } else { nil } })
    var missing: [String] = []
    for name in dnsNames where !haveDNS.contains(name.lowercased()) && !missing.contains(name) {
      missing.append(name)
    }
    for ip in ips {
      let present = (try? IPAddressText.bytes(of: ip)).map { haveIP.contains($0) } ?? false
      if !present && !missing.contains(ip) { missing.append(ip) }
    }
    return missing
  }

  /// True if every DNS name and IP address is among this certificate's subjectAltNames (extra SANs are fine).
  public func covers(dnsNames: [String] = [], ips: [String] = []) -> Bool {
    missingNames(dnsNames: dnsNames, ips: ips).isEmpty
  }

  /// True if this certificate names `ca` as its issuer and its signature verifies with the CA's public key.
  public func isSigned(by ca: CertificateAuthority) -> Bool {
    ca.signed(self)
  }

  /// True if the certificate is for `privateKeyPEM`'s key (false if the key cannot be read).
  public func matches(privateKeyPEM: String) -> Bool {
    guard let key = try? Certificate.PrivateKey(pemEncoded: privateKeyPEM) else { return false }
    return key.publicKey == certificate.publicKey
  }
}
