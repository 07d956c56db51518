// IP addresses as text <-> the 4 or 16 network-order bytes an X.509 iPAddress subjectAltName holds.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts IPv4/IPv6 text to SAN bytes and back, in canonical form (so `fd00:0::5` and `fd00::5` are equal).
enum IPAddressText {
  /// The 4 (IPv4) or 16 (IPv6) bytes of `text`. Surrounding brackets (`[::1]`) are accepted.
  static func bytes(of text: String) throws -> [UInt8] {
    var trimmed = Substring(text)
    if trimmed.hasPrefix("["), trimmed.hasSuffix("]") { trimmed = trimmed.dropFirst().dropLast() }
    let address = String(trimmed)
    var v4 = [UInt8](repeating: 0, count: 4)
    if address.contains("."), !address.contains(":") {
      if inet_pton(AF_INET, address, &v4) == 1 { return v4 }
      throw PKIError.invalidIPAddress(text)
    }
    var v6 = [UInt8](repeating: 0, count: 16)
    if inet_pton(AF_INET6, address, &v6) == 1 { return v6 }
    throw PKIError.invalidIPAddress(text)
  }

  /// The canonical text of SAN bytes, or nil if they are neither 4 nor 16 bytes long.
  static func text(of bytes: some Collection<UInt8>) -> String? {
    let array = Array(bytes)
    let family: Int32
    switch array.count {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return nil
    }
    var buffer = [CChar](repeating: 0, count: 64)
    let ok = array.withUnsafeBytes { raw in
      inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
    }
    guard ok else { return nil }
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The canonical text of `text`, or nil if it is not an address.
  static func canonical(_ text: String) -> String? {
    guard let bytes = try? bytes(of: text) else { return nil }
    return self.text(of: bytes)
  }
}
