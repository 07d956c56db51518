// JSON string literals for the few JSON texts written by hand (log lines, JWT claims, the gateway's error bodies).

/// `text` as a JSON string literal, quotes included. `escapingHTML` also writes `<`, `>` and `&` as `\u003c`,
/// `\u003e` and `\u0026`, as Go's encoding/json does (the JSON gateway's error bodies).
public func jsonStringLiteral(_ text: String, escapingHTML: Bool = false) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case "<" where escapingHTML: out += "\\u003c"
    case ">" where escapingHTML: out += "\\u003e"
    case "&" where escapingHTML: out += "\\u0026"
    case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}
