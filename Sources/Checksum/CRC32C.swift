// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8: eight table lookups per 8 input bytes. Shared
// by the WAL (record and snapshot checksums) and MVCC (Hash, HashKV).

/// CRC-32C checksums, chainable: `update(update(0, a), b) == checksum(a + b)`.
public enum CRC32C {
  /// The 8 x 256 lookup tables, built once.
  static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var c = UInt32(i)
      for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
      t[i] = c
    }
    for i in 0..<256 {
      for k in 1..<8 {
        let prev = t[(k - 1) * 256 + i]
        t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
      }
    }
    return t
  }()

  /// The CRC of `bytes` continued from `crc` (the CRC of everything before them; 0 to start).
  public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    tables.withUnsafeBufferPointer { t in
      guard let base = bytes.baseAddress else { return crc }
      var c = ~crc
      var i = 0
      let n = bytes.count
      while i + 8 <= n {
        let lo = base.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
        let hi = base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
        c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
          ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
        i += 8
      }
      while i < n {
        c = (c >> 8) ^ t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)]
        i += 1
      }
      return ~c
    }
  }

  /// The CRC of `bytes` continued from `crc`.
  public static func update<C: Collection<UInt8>>(_ crc: UInt32, _ bytes: C) -> UInt32 {
    if let r = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) { return r }
    return Array(bytes).withUnsafeBytes { update(crc, $0) }
  }

  /// The CRC of `bytes` alone.
  public static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt32 { update(0, bytes) }
}

/// A CRC-32C fed piece by piece (bytes, integers), for checksums over many values such as HashKV.
public struct RunningCRC32C: Sendable {
  /// The checksum of everything fed so far.
  public private(set) var value: UInt32 = 0

  /// Starts a checksum.
  public init() {}

  /// Feeds bytes.
  public mutating func update<C: Collection<UInt8>>(_ bytes: C) { value = CRC32C.update(value, bytes) }

  /// Feeds an integer as 8 bytes, big-endian.
  public mutating func update(_ int: Int64) {
    value = withUnsafeBytes(of: int.bigEndian) { CRC32C.update(value, $0) }
  }
}
