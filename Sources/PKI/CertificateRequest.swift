// What a leaf certificate must say: its profile (what it is used for), its subject and its alternative names.
import Foundation

/// What an issued leaf certificate is used for; it decides the extended key usages.
public enum CertificateProfile: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// etcd's client-facing certificate (`--cert-file`). serverAuth, and clientAuth too, because etcd's own
  /// gRPC gateway and health checks dial the member with this certificate.
  case server
  /// The member-to-member certificate (`--peer-cert-file`): serverAuth and clientAuth.
  case peer
  /// A client certificate (etcdctl, swetcd-ops): clientAuth only. With `--client-cert-auth` etcd maps the
  /// common name to the user, so the common name must be the user name (e.g. `root`).
  case client

  /// The extended key usages this profile puts into a certificate, by their OpenSSL names.
  public var extendedKeyUsageNames: [String] {
    switch self {
    case .server, .peer: return ["serverAuth", "clientAuth"]
    case .client: return ["clientAuth"]
    }
  }

  public var description: String { rawValue }
}

/// What a leaf certificate must contain. Used both to issue one and to decide whether an existing one is still
/// good enough (see ``InspectedCertificate/needsReissue(for:ca:now:renewBefore:)``).
public struct CertificateRequest: Sendable, Hashable {
  /// The profile: server, peer or client.
  public var profile: CertificateProfile
  /// The subject common name: the node name for server/peer certificates, the user name for client ones.
  public var commonName: String
  /// DNS subjectAltNames. Pass every name of the node, plus `localhost`.
  public var dnsNames: [String]
  /// IP subjectAltNames as text (IPv4 or IPv6). Pass every address of the node, plus `127.0.0.1`.
  public var ipAddresses: [String]

  /// Creates a request. Names and addresses are validated when the certificate is issued.
  public init(profile: CertificateProfile, commonName: String, dnsNames: [String] = [], ipAddresses: [String] = []) {
    self.profile = profile
    self.commonName = commonName
    self.dnsNames = dnsNames
    self.ipAddresses = ipAddresses
  }

  /// Throws ``PKIError`` if the common name, a DNS name or an IP address is invalid.
  public func validate() throws {
    guard !commonName.isEmpty, commonName.count <= 64 else { throw PKIError.invalidCommonName(commonName) }
    for name in dnsNames where !Self.isValidDNSName(name) { throw PKIError.invalidDNSName(name) }
    for ip in ipAddresses { _ = try IPAddressText.bytes(of: ip) }
  }

  /// True for host names made of labels of letters, digits and '-', optionally starting with a `*.` wildcard.
  static func isValidDNSName(_ name: String) -> Bool {
    var body = Substring(name)
    if body.hasPrefix("*.") { body = body.dropFirst(2) }
    if body.hasSuffix(".") { body = body.dropLast() }
    guard !body.isEmpty, name.utf8.count <= 253 else { return false }
    for label in body.split(separator: ".", omittingEmptySubsequences: false) {
      guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
      for byte in label.utf8 {
        let ok = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
          || byte == 0x2D || byte == 0x5F
        if !ok { return false }
      }
    }
    return true
  }
}
