// What kind of key a certificate carries, and its RFC 5280 key identifier, read from the SubjectPublicKeyInfo.
import Crypto
import SwiftASN1
import X509

/// Facts about a certificate's public key: its type (for error messages and the supported-key check) and the
/// key identifier used for SubjectKeyIdentifier/AuthorityKeyIdentifier.
struct PublicKeyFacts: Sendable, Hashable {
  /// Human name of the key type, e.g. "ECDSA P-256" or "RSA 2048-bit".
  let typeName: String
  /// Whether this module signs certificates with such a key.
  let canSign: Bool
  /// SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1).
  let keyIdentifier: [UInt8]

  private static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
  private static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
  private static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
  private static let curveNames: [ASN1ObjectIdentifier: String] = [
    [1, 2, 840, 10045, 3, 1, 7]: "P-256", [1, 3, 132, 0, 34]: "P-384", [1, 3, 132, 0, 35]: "P-521",
  ]

  init(_ key: Certificate.PublicKey) throws {
    var serializer = DER.Serializer()
    try serializer.serialize(key)
    let spki = try DER.parse(serializer.serializedBytes)
    let (algorithm, parameters, keyBits) = try DER.sequence(spki, identifier: .sequence) { nodes in
      guard let algorithmNode = nodes.next(), let bitsNode = nodes.next() else {
        throw ASN1Error.invalidASN1Object(reason: "SubjectPublicKeyInfo has too few fields")
      }
      let (oid, params) = try DER.sequence(algorithmNode, identifier: .sequence) { inner in
        guard let oidNode = inner.next() else {
          throw ASN1Error.invalidASN1Object(reason: "AlgorithmIdentifier has no OID")
        }
        let params = inner.next()
        return (try ASN1ObjectIdentifier(derEncoded: oidNode), params)
      }
      return (oid, params, try ASN1BitString(derEncoded: bitsNode).bytes)
    }
    keyIdentifier = Array(Insecure.SHA1.hash(data: Array(keyBits)))
    switch algorithm {
    case Self.ecPublicKey:
      let curve = parameters.flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }.flatMap { Self.curveNames[$0] }
      let name = curve ?? "unknown curve"
      typeName = "ECDSA \(name)"
      canSign = name == "P-256" || name == "P-384"
    case Self.rsaEncryption:
      let bits = (try? Self.rsaModulusBits(Array(keyBits))) ?? 0
      typeName = "RSA \(bits)-bit"
      canSign = bits >= 2048
    case Self.ed25519:
      typeName = "Ed25519"
      canSign = false
    default:
      typeName = "algorithm \(algorithm)"
      canSign = false
    }
  }

  /// Bit length of the modulus of a PKCS#1 RSAPublicKey (SEQUENCE { INTEGER n, INTEGER e }).
  private static func rsaModulusBits(_ der: [UInt8]) throws -> Int {
    let node = try DER.parse(der)
    return try DER.sequence(node, identifier: .sequence) { nodes in
      guard let modulus = nodes.next(), case .primitive(let bytes) = modulus.content, nodes.next() != nil else {
        throw ASN1Error.invalidASN1Object(reason: "RSAPublicKey malformed")
      }
      let significant = bytes.drop(while: { $0 == 0 })
      guard let first = significant.first else { return 0 }
      return (significant.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }
  }
}
