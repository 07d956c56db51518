// Bounds-checked little helpers for the peer wire format: unsigned LEB128 varints and length-prefixed bytes.

/// Appends wire values to a byte array.
struct WireWriter {
  var bytes: [UInt8]

  init(capacity: Int) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  mutating func byte(_ value: UInt8) { bytes.append(value) }

  mutating func varint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  mutating func data(_ value: [UInt8]) {
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  mutating func fixed64(_ value: UInt64) {
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
  }
}

/// Reads wire values; every read checks the remaining length and throws ``PeerTransportError/malformed(_:)``.
struct WireReader {
  private let bytes: [UInt8]
  private(set) var offset: Int

  init(_ bytes: [UInt8], offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  var remaining: Int { bytes.count - offset }
  var atEnd: Bool { offset == bytes.count }

  mutating func byte(_ what: String) throws(PeerTransportError) -> UInt8 {
    guard offset < bytes.count else { throw .malformed("truncated before \(what)") }
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func varint(_ what: String) throws(PeerTransportError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard offset < bytes.count else { throw .malformed("truncated varint in \(what)") }
      let next = bytes[offset]
      offset += 1
      if shift == 63 && next > 1 { throw .malformed("varint overflow in \(what)") }
      result |= UInt64(next & 0x7F) << shift
      if next < 0x80 { return result }
      shift += 7
      guard shift <= 63 else { throw .malformed("varint overflow in \(what)") }
    }
  }

  /// A count of items that each take at least one byte: never more than the bytes left.
  mutating func count(_ what: String) throws(PeerTransportError) -> Int {
    let value = try varint(what)
    guard value <= UInt64(remaining) else { throw .malformed("\(what) count \(value) exceeds the \(remaining) bytes left") }
    return Int(value)
  }

  mutating func data(_ what: String) throws(PeerTransportError) -> [UInt8] {
    let length = try count(what)
    defer { offset += length }
    return Array(bytes[offset..<(offset + length)])
  }

  mutating func fixed64(_ what: String) throws(PeerTransportError) -> UInt64 {
    guard remaining >= 8 else { throw .malformed("truncated before \(what)") }
    var value: UInt64 = 0
    for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(index * 8) }
    offset += 8
    return value
  }
}
