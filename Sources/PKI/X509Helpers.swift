// Small helpers over swift-certificates: error wrapping, random serials, reading a name's CN.
import Foundation
import X509

extension PKIError {
  /// Runs a swift-certificates/swift-crypto operation, mapping its errors to ``signingFailed(detail:)``.
  static func wrapSigning<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as PKIError {
      throw error
    } catch {
      throw PKIError.signingFailed(detail: CertificateAuthority.brief(error))
    }
  }
}

/// Random certificate serial numbers.
enum SerialNumbers {
  /// 16 random bytes, the first with its top bit clear (so the DER INTEGER is positive) and non-zero (so the
  /// encoding keeps all 16 bytes).
  static func random() -> Certificate.SerialNumber {
    var generator = SystemRandomNumberGenerator()
    var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    bytes[0] = (bytes[0] & 0x7F) | 0x01
    return Certificate.SerialNumber(bytes: bytes)
  }
}

extension DistinguishedName {
  /// The first common name (CN) in the name, if any.
  var commonName: String? {
    for rdn in self {
      for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
        return String(attribute.value)
      }
    }
    return nil
  }
}
