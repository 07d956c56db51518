import Foundation
import Yams

/// Reads typed fields out of a YAML mapping, recording a diagnostic (file:line:column, field path) for every
/// wrong type, bad value or unknown key instead of stopping at the first.
final class YAMLFields {
  let file: String
  private(set) var diagnostics: [InventoryDiagnostic] = []

  init(file: String) { self.file = file }

  func error(_ node: Node?, _ field: String, _ message: String) {
    diagnostics.append(.init(severity: .error, file: file, line: node?.mark?.line ?? 0,
                             column: node?.mark?.column ?? 0, field: field, message: message))
  }

  func warning(_ node: Node?, _ field: String, _ message: String) {
    diagnostics.append(.init(severity: .warning, file: file, line: node?.mark?.line ?? 0,
                             column: node?.mark?.column ?? 0, field: field, message: message))
  }

  /// A mapping's entries by key; reports duplicate keys, non-string keys and keys outside `allowed`.
  func mapping(_ node: Node?, _ field: String, allowed: [String]) -> [String: Node] {
    guard let node else { return [:] }
    guard case .mapping(let mapping) = node else {
      error(node, field, "expected a mapping (key: value lines), found \(kind(of: node))")
      return [:]
    }
    var entries: [String: Node] = [:]
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string else {
        error(keyNode, field, "keys must be plain strings")
        continue
      }
      let path = field.isEmpty ? key : "\(field).\(key)"
      if entries[key] != nil {
        error(keyNode, path, "is given twice; keep one")
        continue
      }
      guard allowed.contains(key) else {
        let hint = closest(to: key, in: allowed).map { "; did you mean \"\($0)\"?" } ?? "; known keys: \(allowed.joined(separator: ", "))"
        error(keyNode, path, "unknown key\(hint)")
        continue
      }
      entries[key] = value
    }
    return entries
  }

  func sequence(_ node: Node?, _ field: String) -> [Node] {
    guard let node else { return [] }
    guard case .sequence(let sequence) = node else {
      error(node, field, "expected a list (lines starting with '- '), found \(kind(of: node))")
      return []
    }
    return Array(sequence)
  }

  func string(_ node: Node?, _ field: String) -> String? {
    guard let node else { return nil }
    guard case .scalar(let scalar) = node, !(scalar.tag == .implicit && scalar.string.isEmpty) else {
      error(node, field, "expected a string, found \(kind(of: node))")
      return nil
    }
    return scalar.string
  }

  func int(_ node: Node?, _ field: String, range: ClosedRange<Int>) -> Int? {
    guard let node else { return nil }
    guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
      error(node, field, "expected a whole number, found \(describe(node))")
      return nil
    }
    guard range.contains(value) else {
      error(node, field, "\(value) is out of range; use \(range.lowerBound) to \(range.upperBound)")
      return nil
    }
    return value
  }

  func bool(_ node: Node?, _ field: String) -> Bool? {
    guard let node else { return nil }
    switch node.scalar?.string.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      error(node, field, "expected true or false, found \(describe(node))")
      return nil
    }
  }

  func choice<T: RawRepresentable & CaseIterable>(_ node: Node?, _ field: String, _: T.Type) -> T? where T.RawValue == String {
    guard let text = string(node, field) else { return nil }
    guard let value = T(rawValue: text) else {
      error(node, field, "\"\(text)\" is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
      return nil
    }
    return value
  }

  func stringList(_ node: Node?, _ field: String) -> [String]? {
    guard let node else { return nil }
    return sequence(node, field).enumerated().compactMap { string($0.element, "\(field)[\($0.offset)]") }
  }

  /// A flat mapping of scalars (e.g. extra etcd settings) kept as strings.
  func scalarMap(_ node: Node?, _ field: String) -> [String: String]? {
    guard let node else { return nil }
    guard case .mapping(let mapping) = node else {
      error(node, field, "expected a mapping (key: value lines), found \(kind(of: node))")
      return nil
    }
    var result: [String: String] = [:]
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string else { continue }
      guard let text = value.scalar?.string else {
        error(value, "\(field).\(key)", "expected a single value, found \(kind(of: value))")
        continue
      }
      result[key] = text
    }
    return result
  }

  private func kind(of node: Node) -> String {
    switch node {
    case .scalar(let scalar): return scalar.string.isEmpty ? "an empty value" : "\"\(scalar.string)\""
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    }
  }

  private func describe(_ node: Node) -> String { kind(of: node) }

  /// The allowed key nearest to a misspelt one (edit distance at most 3), for "did you mean".
  private func closest(to key: String, in allowed: [String]) -> String? {
    allowed.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 3 }.min { $0.1 < $1.1 }?.0
  }
}

/// Levenshtein distance between two short strings.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  guard !a.isEmpty else { return b.count }
  guard !b.isEmpty else { return a.count }
  var previous = Array(0...b.count)
  for i in 1...a.count {
    var current = [i] + Array(repeating: 0, count: b.count)
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}
