// Durations printed as Go's time.Duration String() does (etcd's log lines use it).

enum GoDuration {
  /// Formats `nanoseconds` like Go: "0s", "1.5µs", "12.345ms", "3.001204523s", "1m2.5s", "2h0m0s".
  static func format(nanoseconds: Int64) -> String {
    if nanoseconds == 0 { return "0s" }
    let negative = nanoseconds < 0
    let magnitude = nanoseconds.magnitude
    var text: String
    if magnitude < 1_000 {
      text = "\(magnitude)ns"
    } else if magnitude < 1_000_000 {
      text = fraction(magnitude, unit: 1_000, digits: 3) + "µs"
    } else if magnitude < 1_000_000_000 {
      text = fraction(magnitude, unit: 1_000_000, digits: 6) + "ms"
    } else {
      let totalSeconds = magnitude / 1_000_000_000
      let secondsPart = fraction(magnitude % 60_000_000_000, unit: 1_000_000_000, digits: 9) + "s"
      if totalSeconds < 60 {
        text = secondsPart
      } else {
        let minutes = totalSeconds / 60
        if minutes < 60 {
          text = "\(minutes)m" + secondsPart
        } else {
          text = "\(minutes / 60)h\(minutes % 60)m" + secondsPart
        }
      }
    }
    return negative ? "-" + text : text
  }

  /// `value / unit` with up to `digits` decimals, trailing zeros (and a bare point) removed.
  private static func fraction(_ value: UInt64, unit: UInt64, digits: Int) -> String {
    let whole = value / unit
    let rest = value % unit
    guard rest != 0 else { return "\(whole)" }
    var decimals = String(rest)
    decimals = String(repeating: "0", count: digits - decimals.count) + decimals
    while decimals.hasSuffix("0") { decimals.removeLast() }
    return "\(whole).\(decimals)"
  }
}
