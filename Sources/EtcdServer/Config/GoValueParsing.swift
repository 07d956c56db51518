/// Parsers for flag values with the exact acceptance rules and error reasons of Go's `flag` and `strconv`
/// packages, which etcd's command line uses.
enum GoValueParsing {
  /// Why a value was rejected, as Go's flag package words it ("parse error", "value out of range", ...).
  struct Rejection: Error, Equatable {
    let reason: String
    static let parse = Rejection(reason: "parse error")
    static let range = Rejection(reason: "value out of range")
  }

  /// `strconv.ParseBool`.
  static func bool(_ text: String) throws(Rejection) -> Bool {
    switch text {
    case "1", "t", "T", "TRUE", "true", "True": return true
    case "0", "f", "F", "FALSE", "false", "False": return false
    default: throw .parse
    }
  }

  /// `strconv.ParseUint(text, 0, bits)`: decimal, 0x/0o/0b prefixes, leading-0 octal, `_` between digits.
  static func unsigned(_ text: String, bits: Int = 64) throws(Rejection) -> UInt64 {
    guard let value = try magnitude(text) else { throw .parse }
    if bits < 64 && value > (UInt64(1) << UInt64(bits)) - 1 { throw .range }
    return value
  }

  /// `strconv.ParseInt(text, 0, bits)`.
  static func signed(_ text: String, bits: Int = 64) throws(Rejection) -> Int64 {
    var body = Substring(text)
    var negative = false
    if let first = body.first, first == "+" || first == "-" {
      negative = first == "-"
      body = body.dropFirst()
    }
    guard let value = try magnitude(String(body)) else { throw .parse }
    let limit = UInt64(1) << UInt64(bits - 1)
    if negative {
      if value > limit { throw .range }
      return value == limit ? Int64.min >> Int64(64 - bits) : -Int64(value)
    }
    if value >= limit { throw .range }
    return Int64(value)
  }

  /// Parses an unsigned Go integer literal; nil when the syntax is wrong, `.range` when it overflows 64 bits.
  private static func magnitude(_ text: String) throws(Rejection) -> UInt64? {
    var digits = Substring(text)
    var radix: UInt64 = 10
    var prefixed = false
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") { radix = 16; digits = digits.dropFirst(2); prefixed = true }
    else if digits.hasPrefix("0o") || digits.hasPrefix("0O") { radix = 8; digits = digits.dropFirst(2); prefixed = true }
    else if digits.hasPrefix("0b") || digits.hasPrefix("0B") { radix = 2; digits = digits.dropFirst(2); prefixed = true }
    else if digits.count > 1 && digits.hasPrefix("0") { radix = 8; digits = digits.dropFirst(1); prefixed = true }
    guard !digits.isEmpty else { return nil }
    // Underscores must sit between digits (or right after a base prefix), as in Go integer literals.
    var previousWasDigit = prefixed
    var value: UInt64 = 0
    var overflow = false
    for character in digits {
      if character == "_" {
        if !previousWasDigit { return nil }
        previousWasDigit = false
        continue
      }
      guard let digit = character.hexDigitValue, UInt64(digit) < radix else { return nil }
      previousWasDigit = true
      let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
      let (sum, o2) = shifted.addingReportingOverflow(UInt64(digit))
      if o1 || o2 { overflow = true }
      value = sum
    }
    if !previousWasDigit { return nil }
    if overflow { throw .range }
    return value
  }

  /// `time.ParseDuration`, with Go's error texts (`time: invalid duration "abc"`, ...).
  static func duration(_ original: String) throws(Rejection) -> Duration {
    let invalid = Rejection(reason: "time: invalid duration " + goQuote(original))
    var rest = Substring(original)
    var negative = false
    if let first = rest.first, first == "-" || first == "+" {
      negative = first == "-"
      rest = rest.dropFirst()
    }
    if rest == "0" { return .zero }
    if rest.isEmpty { throw invalid }
    let units: [Substring: UInt64] = [
      "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
      "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]
    var total: UInt64 = 0
    while !rest.isEmpty {
      guard let first = rest.first, first == "." || first.isASCII && first.isNumber else { throw invalid }
      let whole = rest.prefix { $0.isASCII && $0.isNumber }
      rest = rest.dropFirst(whole.count)
      var fraction: Substring = ""
      if rest.first == "." {
        rest = rest.dropFirst()
        fraction = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(fraction.count)
      }
      if whole.isEmpty && fraction.isEmpty { throw invalid }
      let unitText = rest.prefix { !($0 == "." || $0.isASCII && $0.isNumber) }
      if unitText.isEmpty { throw Rejection(reason: "time: missing unit in duration " + goQuote(original)) }
      rest = rest.dropFirst(unitText.count)
      guard let unit = units[unitText] else {
        throw Rejection(reason: "time: unknown unit " + goQuote(String(unitText)) + " in duration " + goQuote(original))
      }
      guard let wholeValue = UInt64(whole.isEmpty ? "0" : whole) else { throw invalid }
      let (scaled, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
      if overflow || scaled > UInt64(1) << 63 { throw invalid }
      var part = scaled
      if !fraction.isEmpty {
        // Go keeps the fraction as a float of the unit: value * (unit / 10^digits).
        let fractionValue = Double("0." + fraction) ?? 0
        part += UInt64(fractionValue * Double(unit))
      }
      let (sum, sumOverflow) = total.addingReportingOverflow(part)
      if sumOverflow || sum > UInt64(1) << 63 { throw invalid }
      total = sum
    }
    if !negative && total == UInt64(1) << 63 { throw invalid }
    let nanoseconds = negative ? -Int64(bitPattern: total) : Int64(total)
    return .nanoseconds(nanoseconds)
  }
}
