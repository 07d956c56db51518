// bcrypt password hashes through libxcrypt's reentrant calls (crypt_gensalt_rn, crypt_rn) with buffers of our own,
// so any thread may hash or verify. Hashes are "$2b$<cost>$..."; etcd's Go hashes ("$2a$...") verify too.

import CCrypt
import Glibc

/// bcrypt with a fixed cost (`--bcrypt-cost`).
public struct Bcrypt: Sendable {
  /// etcd's default cost (Go's bcrypt.DefaultCost).
  public static let defaultCost = 10
  /// The smallest cost bcrypt takes.
  public static let minCost = 4
  /// The largest cost bcrypt takes.
  public static let maxCost = 31

  /// The cost in use.
  public let cost: Int

  /// A hasher with `cost`; like etcd, a cost outside 4...31 falls back to 10 (check `Bcrypt.isValidCost` to warn:
  /// etcd logs "use default bcrypt cost instead of the invalid given cost").
  public init(cost: Int = Bcrypt.defaultCost) {
    self.cost = Self.isValidCost(cost) ? cost : Self.defaultCost
  }

  /// Whether bcrypt accepts `cost`.
  public static func isValidCost(_ cost: Int) -> Bool { (minCost...maxCost).contains(cost) }

  /// A new salted hash of `password` (its UTF-8 bytes, up to bcrypt's 72).
  public func hash(_ password: String) throws(AuthError) -> [UInt8] {
    var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
    let made = setting.withUnsafeMutableBufferPointer { buffer in
      crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, buffer.baseAddress, Int32(buffer.count))
    }
    guard made != nil else { throw .passwordHashing(detail: "crypt_gensalt_rn refused cost \(cost)") }
    guard let hashed = Self.crypt(password, setting: setting) else {
      throw .passwordHashing(detail: "crypt_rn failed")
    }
    return hashed
  }

  /// Whether `password` matches `hash` (compared in constant time).
  public static func verify(_ password: String, against hash: [UInt8]) -> Bool {
    guard !hash.isEmpty, !hash.contains(0) else { return false }
    guard let computed = crypt(password, setting: hash.map { CChar(bitPattern: $0) } + [0]) else { return false }
    guard computed.count == hash.count else { return false }
    var difference: UInt8 = 0
    for index in 0..<hash.count { difference |= computed[index] ^ hash[index] }
    return difference == 0
  }

  /// crypt_rn of `password` with the NUL-terminated `setting`; nil when libxcrypt refuses it.
  private static func crypt(_ password: String, setting: [CChar]) -> [UInt8]? {
    let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
    defer {
      // The work area held key material: clear it before giving it back.
      UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
      data.deallocate()
    }
    UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
    let result = password.withCString { phrase in
      setting.withUnsafeBufferPointer { settingBuffer -> [UInt8]? in
        guard let output = crypt_rn(phrase, settingBuffer.baseAddress, data, Int32(MemoryLayout<crypt_data>.size))
        else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: output, count: strlen(output))).map { UInt8(bitPattern: $0) }
        // libxcrypt reports failure with a string starting with "*".
        return bytes.first == UInt8(ascii: "*") ? nil : bytes
      }
    }
    return result
  }
}
