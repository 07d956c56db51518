/// One problem found in an inventory file, located by file, line and column and naming the field.
public struct InventoryDiagnostic: Sendable, Hashable, CustomStringConvertible {
  public enum Severity: String, Sendable { case error, warning }

  public var severity: Severity
  public var file: String
  public var line: Int
  public var column: Int
  /// Dotted path of the field, e.g. `hosts[1].ssh.port`.
  public var field: String
  public var message: String

  public var description: String {
    let place = line > 0 ? "\(file):\(line):\(column)" : file
    let subject = field.isEmpty ? "" : "\(field): "
    return "\(place): \(severity.rawValue): \(subject)\(message)"
  }
}

/// An inventory that cannot be used. Its description lists every error, one per line, then the warnings.
public struct InventoryError: Error, CustomStringConvertible, Sendable {
  public var diagnostics: [InventoryDiagnostic]

  public var errors: [InventoryDiagnostic] { diagnostics.filter { $0.severity == .error } }

  public var description: String {
    let ordered = diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity == .warning }
    return ordered.map(\.description).joined(separator: "\n")
  }
}
