// Segment file names: "%016x-%016x.wal" (sequence number, index of the first entry the segment may hold).

/// The parsed name of a WAL segment file.
public struct SegmentName: Sendable, Hashable, Comparable {
  /// Position in the sequence of segments (0 for the first segment ever written).
  public var sequence: UInt64
  /// The index of the first entry written after the segment was opened (entries before it live in older segments).
  public var firstIndex: UInt64

  /// Creates a name.
  public init(sequence: UInt64, firstIndex: UInt64) {
    self.sequence = sequence
    self.firstIndex = firstIndex
  }

  /// The file name.
  public var fileName: String { hex16(sequence) + "-" + hex16(firstIndex) + ".wal" }

  /// Parses `name`; nil unless it is exactly 16 lower-case hex digits, '-', 16 hex digits, ".wal".
  public init?(fileName name: String) {
    let bytes = Array(name.utf8)
    guard bytes.count == 37, bytes[16] == UInt8(ascii: "-"), name.hasSuffix(".wal"),
      let seq = parseHex16(bytes[0..<16]), let index = parseHex16(bytes[17..<33])
    else { return nil }
    sequence = seq
    firstIndex = index
  }

  public static func < (a: SegmentName, b: SegmentName) -> Bool { a.sequence < b.sequence }
}

/// `value` as 16 lower-case hex digits.
func hex16(_ value: UInt64) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out = [UInt8](repeating: 0, count: 16)
  var v = value
  for i in stride(from: 15, through: 0, by: -1) {
    out[i] = digits[Int(v & 0xF)]
    v >>= 4
  }
  return String(decoding: out, as: UTF8.self)
}

/// Parses 16 lower-case hex digits.
func parseHex16(_ bytes: ArraySlice<UInt8>) -> UInt64? {
  var v: UInt64 = 0
  for b in bytes {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt64(b - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt64(b - UInt8(ascii: "a") + 10)
    default: return nil
    }
  }
  return v
}
