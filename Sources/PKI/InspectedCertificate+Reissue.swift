// Deciding whether an existing certificate still serves, and if not, saying why in words an operator reads.
import Foundation

/// Why an existing certificate must be replaced. ``description`` is the short sentence swetcd-ops prints,
/// e.g. "SAN 10.0.0.5 missing", "expires in 12 days", "signed by a different CA".
public enum ReissueReason: Sendable, Equatable, CustomStringConvertible {
  /// There is no certificate (or no key) yet.
  case missing(String)
  /// The certificate or key file could not be read or parsed.
  case unreadable(String)
  /// The private key on disk is not the certificate's key.
  case keyMismatch
  /// The certificate was not signed by the current CA.
  case signedByDifferentCA
  /// The extended key usages are not those of the requested profile.
  case wrongProfile(have: [String], want: CertificateProfile)
  /// The subject CN differs from the requested one.
  case commonNameMismatch(have: String?, want: String)
  /// Requested subjectAltNames are absent.
  case missingSubjectAltNames([String])
  /// The certificate is not valid yet at `now` (its notBefore is in the future).
  case notYetValid(Date)
  /// The certificate has expired.
  case expired(Date)
  /// The certificate expires within the renewal window; `days` is rounded down.
  case expiresSoon(days: Int)

  public var description: String {
    switch self {
    case .missing(let what): return "\(what) missing"
    case .unreadable(let detail): return "unreadable: \(detail)"
    case .keyMismatch: return "private key does not match the certificate"
    case .signedByDifferentCA: return "signed by a different CA"
    case .wrongProfile(let have, let want):
      let haveText = have.isEmpty ? "none" : have.joined(separator: ", ")
      return "extended key usage is \(haveText), the \(want) profile needs \(want.extendedKeyUsageNames.joined(separator: ", "))"
    case .commonNameMismatch(let have, let want): return "CN is '\(have ?? "")', expected '\(want)'"
    case .missingSubjectAltNames(let names):
      return (names.count == 1 ? "SAN " : "SANs ") + names.joined(separator: ", ") + " missing"
    case .notYetValid(let date): return "not valid until \(PKIError.format(date))"
    case .expired(let date): return "expired on \(PKIError.format(date))"
    case .expiresSoon(let days): return days == 1 ? "expires in 1 day" : "expires in \(days) days"
    }
  }
}

extension InspectedCertificate {
  /// How long before expiry a certificate is renewed by default: 30 days.
  public static let defaultRenewBefore: TimeInterval = 30 * 86_400

  /// Whether this certificate must be reissued to satisfy `request` under `ca`, and why; nil if it still serves.
  ///
  /// Checked in this order, first failure wins: signed by `ca` (signature verified), profile (extended key
  /// usages), common name, subjectAltNames (every requested one present; extra ones are fine), not yet valid,
  /// expired, expiring within `renewBefore`.
  public func needsReissue(
    for request: CertificateRequest, ca: CertificateAuthority, now: Date = Date(),
    renewBefore: TimeInterval = defaultRenewBefore
  ) -> ReissueReason? {
    if !isSigned(by: ca) { return .signedByDifferentCA }
    let usages = extendedKeyUsageNames
    if Set(usages) != Set(request.profile.extendedKeyUsageNames) {
      return .wrongProfile(have: usages, want: request.profile)
    }
    if commonName != request.commonName { return .commonNameMismatch(have: commonName, want: request.commonName) }
    let missing = missingNames(dnsNames: request.dnsNames, ips: request.ipAddresses)
    if !missing.isEmpty { return .missingSubjectAltNames(missing) }
    if notValidBefore > now { return .notYetValid(notValidBefore) }
    if notValidAfter <= now { return .expired(notValidAfter) }
    let remaining = notValidAfter.timeIntervalSince(now)
    if remaining < renewBefore { return .expiresSoon(days: Int(remaining / 86_400)) }
    return nil
  }
}
