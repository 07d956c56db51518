#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Yams

/// Reads etcd's `--config-file`: YAML whose keys are flag names, plus `client-transport-security` and
/// `peer-transport-security` blocks. Like etcd (which converts the YAML to JSON and decodes it into Go structs),
/// unknown keys are ignored and a value of the wrong type is an error naming the key and the Go type expected.
enum ConfigFileReader {
  /// The Go type etcd decodes a key into; its name appears in type errors.
  enum GoType: String {
    case string, bool, uint, uint32, uint64, int, int64
    case duration = "time.Duration"
    case strings = "[]string"
  }

  /// How one key is applied: the Go type checked first, then the value text handed to `apply`.
  struct Key: Sendable {
    let type: GoType
    /// The Go struct etcd decodes the key into ("configYAML", or "configProxy" for the v2 proxy keys).
    var structName = "configYAML"
    let apply: @Sendable (inout ConfigurationDraft, String) throws(ConfigurationError) -> Void
  }

  static func read(path: String, into draft: inout ConfigurationDraft) throws(ConfigurationError) {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      let missing = !FileManager.default.fileExists(atPath: path)
      throw .invalidFlags("open \(path): " + (missing ? "no such file or directory" : "permission denied"))
    }
    let root: Node?
    do { root = try Yams.compose(yaml: text) } catch {
      throw .invalidFlags("error converting YAML to JSON: yaml: \(error)")
    }
    try apply(root, to: &draft)
  }

  /// Applies a parsed YAML document (exposed for tests that build YAML in memory).
  static func apply(_ root: Node?, to draft: inout ConfigurationDraft) throws(ConfigurationError) {
    guard let root, jsonKind(root) != "null" else { return try finish(&draft) }
    guard let mapping = root.mapping else {
      throw .invalidFlags("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \(jsonKind(root)) "
        + "into Go value of type embed.configYAML")
    }
    let keys = Self.keys
    for (keyNode, valueNode) in mapping {
      guard let key = keyNode.string else { continue }
      if key == "client-transport-security" || key == "peer-transport-security" {
        try applySecurity(key, valueNode, to: &draft)
        continue
      }
      guard let spec = keys[key] else { continue }
      guard let text = try convert(valueNode, to: spec.type, field: "\(spec.structName).\(key)") else { continue }
      try spec.apply(&draft, text)
    }
    try finish(&draft)
  }

  private static func finish(_ draft: inout ConfigurationDraft) throws(ConfigurationError) {
    // embed.configFromFile: a discovery setting clears the default initial cluster.
    let config = draft.config
    if (!config.discovery.isEmpty || !config.discoverySRV.isEmpty)
      && config.initialCluster == ServerConfiguration.defaultInitialCluster {
      draft.config.initialCluster = ""
    }
  }

  private static func applySecurity(_ key: String, _ node: Node, to draft: inout ConfigurationDraft) throws(ConfigurationError) {
    if jsonKind(node) == "null" { return }
    guard let mapping = node.mapping else {
      throw typeError(jsonKind(node), field: "configYAML.\(key)", type: "embed.securityConfig")
    }
    var tls = TLSSettings()
    for (fieldNode, valueNode) in mapping {
      guard let field = fieldNode.string else { continue }
      let type: GoType
      switch field {
      case "cert-file", "key-file", "trusted-ca-file": type = .string
      case "client-cert-auth", "auto-tls": type = .bool
      default: continue
      }
      guard let text = try convert(valueNode, to: type, field: "securityConfig.\(key).\(field)") else { continue }
      switch field {
      case "cert-file": tls.certFile = text
      case "key-file": tls.keyFile = text
      case "trusted-ca-file": tls.trustedCAFile = text
      case "client-cert-auth": tls.clientCertAuth = text == "true"
      default: tls.autoTLS = text == "true"
      }
    }
    if key == "client-transport-security" { draft.config.clientTLS = tls } else { draft.config.peerTLS = tls }
  }

  /// Checks a YAML value against the Go type etcd decodes it into and returns it as flag text (nil for null, which
  /// leaves the setting alone). Errors carry Go's `encoding/json` wording.
  static func convert(_ node: Node, to type: GoType, field: String) throws(ConfigurationError) -> String? {
    let kind = jsonKind(node)
    if kind == "null" { return nil }
    switch type {
    case .string:
      guard kind == "string", let text = node.string else { throw typeError(kind, field: field, type: type.rawValue) }
      return text
    case .bool:
      guard kind == "bool", let value = node.bool else { throw typeError(kind, field: field, type: type.rawValue) }
      return value ? "true" : "false"
    case .strings:
      guard let sequence = node.sequence else { throw typeError(kind, field: field, type: type.rawValue) }
      var items: [String] = []
      for item in sequence {
        guard let text = try convert(item, to: .string, field: field) else { continue }
        items.append(text)
      }
      return items.joined(separator: ",")
    case .uint, .uint32, .uint64, .int, .int64, .duration:
      guard kind == "number", let scalar = node.scalar else { throw typeError(kind, field: field, type: type.rawValue) }
      let number = node.int.map { String($0) } ?? scalar.string
      let signed = type == .int || type == .int64 || type == .duration
      let fits: Bool
      if signed { fits = node.int != nil }
      else if type == .uint32 { fits = node.int.map { $0 >= 0 && $0 <= Int(UInt32.max) } ?? false }
      else { fits = node.int.map { $0 >= 0 } ?? false }
      guard fits else { throw typeError("number \(number)", field: field, type: type.rawValue) }
      return type == .duration ? "\(number)ns" : number
    }
  }

  /// The JSON kind a YAML value becomes once etcd converts the document to JSON.
  static func jsonKind(_ node: Node) -> String {
    switch node {
    case .mapping: return "object"
    case .sequence: return "array"
    case .alias: return "string"
    case .scalar:
      switch node.tag.description {
      case Tag.Name.null.rawValue: return "null"
      case Tag.Name.bool.rawValue: return "bool"
      case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "number"
      default: return "string"
      }
    }
  }

  static func typeError(_ kind: String, field: String, type: String) -> ConfigurationError {
    .invalidFlags("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \(kind) into Go struct field "
      + "\(field) of type \(type)")
  }
}
