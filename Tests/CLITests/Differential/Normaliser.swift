import Foundation

/// Turns one server's etcdctl output into text comparable with the other server's: its own IDs, URLs, lease IDs
/// and timings become placeholders, JSON is parsed and printed with sorted keys (fields that legitimately differ,
/// such as raft_term or the database size, blanked).
struct Normaliser: Sendable {
  /// Literal replacements: (what, placeholder). IDs are matched only as whole numbers/hex words.
  private(set) var identifiers: [(String, String)] = []
  private(set) var literals: [(String, String)] = []
  private(set) var ids: [String: UInt64] = [:]

  /// Fields whose values differ between two correct servers and are blanked wherever they occur in JSON output.
  static let volatileFields: Set<String> = ["raft_term", "raftTerm", "raftIndex", "raftAppliedIndex", "dbSize",
                                            "dbSizeInUse", "took", "totalSize", "hash"]

  /// Registers an ID printed in decimal (JSON) and lowercase hex (simple and table output). The decimal form
  /// becomes a quoted string, so JSON stays JSON.
  mutating func identify(_ id: UInt64, as name: String) {
    identifiers.append((String(id), "\"<\(name)>\""))
    let hex = String(id, radix: 16)
    if hex.count < 16 { identifiers.append((String(repeating: "0", count: 16 - hex.count) + hex, "<\(name)-hex>")) }
    identifiers.append((hex, "<\(name)-hex>"))
    ids[name] = id
  }

  /// The hex form of a registered ID (how etcdctl takes lease IDs); empty when `name` was never registered.
  func hex(of name: String) -> String { ids[name].map { String($0, radix: 16) } ?? "" }

  /// Registers a literal (a URL, an address, a file path) and its placeholder.
  mutating func replace(_ text: String, with placeholder: String) {
    literals.append((text, placeholder))
    literals.sort { $0.0.count > $1.0.count }  // the longest first: a URL before the address inside it
  }

  /// The output with placeholders, timings and log timestamps blanked, JSON canonicalised.
  func normalise(_ text: String, ignoring extra: Set<String> = []) -> String {
    var text = text
    for (literal, placeholder) in literals { text = text.replacingOccurrences(of: literal, with: placeholder) }
    for (id, placeholder) in identifiers {
      text = text.replacingOccurrences(of: "(?<![0-9a-zA-Z])\(id)(?![0-9a-zA-Z])", with: placeholder,
                                       options: .regularExpression)
    }
    for (pattern, blank) in Self.volatilePatterns {
      text = text.replacingOccurrences(of: pattern, with: blank, options: .regularExpression)
    }
    return text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { Self.canonicalJSON(String($0), ignoring: Self.volatileFields.union(extra)) ?? String($0) }
      .joined(separator: "\n")
  }

  /// Timings and log metadata that differ on every run.
  private static let volatilePatterns: [(String, String)] = [
    ("\"ts\":(\"[^\"]*\"|[0-9.e+]+)", "\"ts\":0"),
    ("\"target\":\"[^\"]*\"", "\"target\":\"\""),
    ("\"caller\":\"[^\"]*\"", "\"caller\":\"\""),
    ("took = [0-9.]+[µnm]?s", "took = <t>"),
    ("\ngoroutine [0-9]+ \\[[a-z]+\\]:\n[^\u{0}]*", "\n<stack>"),
    // Table widths follow the longest cell (a timing): compare cells, not padding.
    ("-{3,}", "---"), ("(?<=\\|) {2,}| {2,}(?=\\|)", " "),
    ("remaining\\([0-9]+s\\)", "remaining(<t>)"),
    ("\\| +[0-9.]+[µnm]?s +\\|", "| <t> |"),
  ]

  /// One line of JSON printed with sorted keys and `ignored` fields set to null; nil when the line is not JSON.
  static func canonicalJSON(_ line: String, ignoring ignored: Set<String>) -> String? {
    guard let first = line.first, first == "{" || first == "[",
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
    else { return nil }
    let blanked = blank(object, ignored)
    guard let data = try? JSONSerialization.data(withJSONObject: blanked, options: [.sortedKeys]) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  private static func blank(_ value: Any, _ ignored: Set<String>) -> Any {
    if let dictionary = value as? [String: Any] {
      var out: [String: Any] = [:]
      for (key, inner) in dictionary { out[key] = ignored.contains(key) ? NSNull() : blank(inner, ignored) }
      return out
    }
    if let array = value as? [Any] { return array.map { blank($0, ignored) } }
    return value
  }
}
