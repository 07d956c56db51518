// The one error type of the PKI module: every case says what happened and what to do about it.
import Foundation

/// Everything that can go wrong while making, loading, inspecting or storing certificates and keys.
///
/// Each case's ``description`` names the file or value involved and says what to do next. No case ever carries
/// private-key material.
public enum PKIError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A PEM text (certificate or key) could not be parsed. `source` names the file, or describes the origin.
  case unreadablePEM(source: String, expected: String, detail: String)
  /// The key (or certificate public key) is of a type this module cannot sign with.
  case unsupportedKeyType(source: String, found: String)
  /// A private key does not belong to the certificate it was paired with.
  case keyDoesNotMatchCertificate(certificate: String, key: String)
  /// A certificate offered as a CA cannot sign other certificates.
  case notACertificateAuthority(source: String, detail: String)
  /// An IP address given for a subjectAltName is neither IPv4 nor IPv6 text.
  case invalidIPAddress(String)
  /// A DNS name given for a subjectAltName is not a valid host name.
  case invalidDNSName(String)
  /// A common name is empty or too long for X.509 (64 characters at most).
  case invalidCommonName(String)
  /// A node or user name cannot be used as a file or directory name in the store.
  case invalidStoreName(String)
  /// The validity window is empty or inverted.
  case invalidValidity(notBefore: Date, notAfter: Date)
  /// The store holds one half of the CA pair but not the other.
  case incompleteCA(present: String, missing: String)
  /// Creating, signing or encoding a certificate failed inside swift-certificates/swift-crypto.
  case signingFailed(detail: String)
  /// A file-system operation failed.
  case fileSystem(path: String, operation: String, detail: String)

  public var description: String {
    switch self {
    case .unreadablePEM(let source, let expected, let detail):
      return "cannot read \(source) as a PEM \(expected) (\(detail)): check that the file holds a PEM block "
        + "(-----BEGIN ...-----), e.g. with `openssl x509 -in FILE -noout -text` for a certificate or "
        + "`openssl pkey -in FILE -noout` for a key, and that it is not encrypted"
    case .unsupportedKeyType(let source, let found):
      return "\(source) uses a \(found) key, which cannot be used here: supported CA keys are ECDSA P-256, "
        + "ECDSA P-384 and RSA of 2048 bits or more (e.g. `openssl ecparam -genkey -name prime256v1`)"
    case .keyDoesNotMatchCertificate(let certificate, let key):
      return "the private key \(key) does not belong to the certificate \(certificate): give the key that "
        + "was used to create the certificate (compare `openssl x509 -in CERT -noout -pubkey` with "
        + "`openssl pkey -in KEY -pubout`)"
    case .notACertificateAuthority(let source, let detail):
      return "\(source) is not a certificate authority (\(detail)): give a CA certificate with "
        + "basicConstraints CA:TRUE and keyUsage keyCertSign, or let swetcd-ops generate a CA"
    case .invalidIPAddress(let text):
      return "'\(text)' is not an IPv4 or IPv6 address: write it as e.g. 10.0.0.5 or fd00::5 (no port, no prefix length)"
    case .invalidDNSName(let text):
      return "'\(text)' is not a valid DNS name for a certificate: use letters, digits, '-' and '.' "
        + "(a leading '*.' is allowed), at most 253 characters"
    case .invalidCommonName(let text):
      return "'\(text)' cannot be a certificate common name: give a non-empty name of at most 64 characters"
    case .invalidStoreName(let text):
      return "'\(text)' cannot name a folder or file in the certificate store: use letters, digits, '.', '-' "
        + "and '_' only, not starting with '.'"
    case .invalidValidity(let notBefore, let notAfter):
      return "the validity window \(Self.format(notBefore)) .. \(Self.format(notAfter)) is empty: "
        + "notAfter must be later than notBefore"
    case .incompleteCA(let present, let missing):
      return "\(present) exists but \(missing) is missing: restore \(missing), or remove \(present) to "
        + "generate a new CA (every certificate it signed will then be reissued)"
    case .signingFailed(let detail):
      return "creating the certificate failed (\(detail)): check the CA key and the requested names; "
        + "this is a bug if the inputs are valid"
    case .fileSystem(let path, let operation, let detail):
      return "cannot \(operation) \(path) (\(detail)): check that the folder exists, is writable by this "
        + "user and that the disk is not full"
    }
  }

  static func format(_ date: Date) -> String {
    date.formatted(.iso8601)
  }
}
