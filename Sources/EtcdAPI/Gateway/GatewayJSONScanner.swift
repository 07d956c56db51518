// Finds the JSON values in a gateway request body the way Go's json.Decoder reads them (etcd's gateway decodes one
// value per message, so a stream body is values one after another), and reports a syntax error with Go's text
// ("unexpected EOF", "invalid character 'x' looking for beginning of value"), which etcd's gateway sends back.

/// One pass over a request body. Only checks syntax; the protobuf JSON decoder reads the values it delimits.
struct GatewayJSONScanner {
  /// What a look for the next value found.
  enum Next: Equatable {
    /// A complete value at this byte range.
    case value(Range<Int>)
    /// Only whitespace was left (Go: io.EOF).
    case end
    /// A syntax error with Go's message.
    case syntaxError(String)
  }

  private let bytes: [UInt8]
  private var position: Int

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    position = 0
  }

  /// Reads the next value.
  mutating func next() -> Next {
    skipSpace()
    guard position < bytes.count else { return .end }
    let start = position
    if let failure = value(depth: 0) { return .syntaxError(failure) }
    return .value(start..<position)
  }

  private mutating func skipSpace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  private static let unexpectedEOF = "unexpected EOF"

  private func invalid(_ context: String) -> String {
    let byte = bytes[position]
    let shown: String
    switch byte {
    case UInt8(ascii: "'"): shown = "'\\''"
    case UInt8(ascii: "\""): shown = "'\"'"
    case 0x20...0x7E: shown = "'\(Character(Unicode.Scalar(byte)))'"
    default:
      // Go quotes control and non-ASCII bytes as a Go character literal; a hex escape says the same.
      shown = "'\\x\(String(byte, radix: 16, uppercase: false))'"
    }
    return "invalid character \(shown) \(context)"
  }

  /// Reads one value at `position`; returns Go's error text or nil.
  private mutating func value(depth: Int) -> String? {
    skipSpace()
    guard position < bytes.count else { return Self.unexpectedEOF }
    guard depth < 10_000 else { return "exceeded max depth" }
    switch bytes[position] {
    case UInt8(ascii: "{"): return object(depth: depth)
    case UInt8(ascii: "["): return array(depth: depth)
    case UInt8(ascii: "\""): return string()
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
    case UInt8(ascii: "t"): return literal("true")
    case UInt8(ascii: "f"): return literal("false")
    case UInt8(ascii: "n"): return literal("null")
    default: return invalid("looking for beginning of value")
    }
  }

  private mutating func object(depth: Int) -> String? {
    container(close: UInt8(ascii: "}"), after: "after object key:value pair") { scanner in
      scanner.skipSpace()
      guard scanner.position < scanner.bytes.count else { return Self.unexpectedEOF }
      guard scanner.bytes[scanner.position] == UInt8(ascii: "\"") else {
        return scanner.invalid("looking for beginning of object key string")
      }
      if let failure = scanner.string() { return failure }
      scanner.skipSpace()
      guard scanner.position < scanner.bytes.count else { return Self.unexpectedEOF }
      guard scanner.bytes[scanner.position] == UInt8(ascii: ":") else { return scanner.invalid("after object key") }
      scanner.position += 1
      return scanner.value(depth: depth + 1)
    }
  }

  private mutating func array(depth: Int) -> String? {
    container(close: UInt8(ascii: "]"), after: "after array element") { scanner in scanner.value(depth: depth + 1) }
  }

  /// An object or array at `position` (its opening byte): `element` reads one member, and `after` is Go's context
  /// for a byte that is neither `,` nor `close` after one.
  private mutating func container(close: UInt8, after: String, element: (inout Self) -> String?) -> String? {
    position += 1
    skipSpace()
    guard position < bytes.count else { return Self.unexpectedEOF }
    if bytes[position] == close {
      position += 1
      return nil
    }
    while true {
      if let failure = element(&self) { return failure }
      skipSpace()
      guard position < bytes.count else { return Self.unexpectedEOF }
      switch bytes[position] {
      case UInt8(ascii: ","): position += 1
      case close:
        position += 1
        return nil
      default: return invalid(after)
      }
    }
  }

  private mutating func string() -> String? {
    position += 1
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        return nil
      case UInt8(ascii: "\\"):
        position += 1
        guard position < bytes.count else { return Self.unexpectedEOF }
        switch bytes[position] {
        case UInt8(ascii: "u"):
          for _ in 0..<4 {
            position += 1
            guard position < bytes.count else { return Self.unexpectedEOF }
            guard Self.isHexDigit(bytes[position]) else { return invalid("in \\u hexadecimal character escape") }
          }
          position += 1
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
          UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          position += 1
        default: return invalid("in string escape code")
        }
      case 0x00..<0x20: return invalid("in string literal")
      default: position += 1
      }
    }
    return Self.unexpectedEOF
  }

  private mutating func number() -> String? {
    if bytes[position] == UInt8(ascii: "-") {
      position += 1
      guard position < bytes.count else { return Self.unexpectedEOF }
      guard Self.isDigit(bytes[position]) else { return invalid("in numeric literal") }
    }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else {
      while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      position += 1
      guard position < bytes.count else { return Self.unexpectedEOF }
      guard Self.isDigit(bytes[position]) else { return invalid("after decimal point in numeric literal") }
      while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }
    if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
      position += 1
      if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      guard position < bytes.count else { return Self.unexpectedEOF }
      guard Self.isDigit(bytes[position]) else { return invalid("in exponent of numeric literal") }
      while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }
    return nil
  }

  private mutating func literal(_ word: StaticString) -> String? {
    let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    for (index, byte) in expected.enumerated() {
      guard position < bytes.count else { return Self.unexpectedEOF }
      guard bytes[position] == byte else {
        return invalid("in literal \(word) (expecting '\(Character(Unicode.Scalar(expected[index])))')")
      }
      position += 1
    }
    return nil
  }

  private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  private static func isHexDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
  }
}
