// Helpers for the PKI tests: temp folders, the real openssl CLI, writing PEM files.
import Foundation
import Testing
import TestSupport

/// A temp folder; tests remove it with `defer { dir.remove() }`.
struct TempDirectory {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("pki-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> String { "\(path)/\(name)" }

  func write(_ name: String, _ contents: String) throws -> String {
    let target = file(name)
    try contents.write(toFile: target, atomically: true, encoding: .utf8)
    return target
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The real openssl CLI.
enum OpenSSL {
  static var path: String {
    get throws {
      guard let found = ChildProcess.which("openssl") else {
        throw TestFailure("openssl is not installed: apt-get install openssl")
      }
      return found
    }
  }

  /// Runs openssl; throws with its stderr if it exits non-zero.
  @discardableResult
  static func run(_ arguments: [String]) throws -> String {
    let output = try ChildProcess.run(try path, arguments, timeout: 60)
    guard output.status == 0 else {
      throw TestFailure("openssl \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)")
    }
    return output.stdout
  }

  /// Runs openssl and returns its exit status and combined output, without throwing on failure.
  static func attempt(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let output = try ChildProcess.run(try path, arguments, timeout: 60)
    return (output.status, output.stdout + output.stderr)
  }

  /// The named extensions of a certificate as OpenSSL prints them: header (e.g. "X509v3 Key Usage: critical")
  /// mapped by short name ("keyUsage") to (critical, value).
  static func extensions(of certificatePath: String) throws -> [String: (critical: Bool, value: String)] {
    let text = try run([
      "x509", "-in", certificatePath, "-noout", "-ext", "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints",
    ])
    let names = [
      "X509v3 Subject Alternative Name": "subjectAltName", "X509v3 Extended Key Usage": "extendedKeyUsage",
      "X509v3 Key Usage": "keyUsage", "X509v3 Basic Constraints": "basicConstraints",
    ]
    var result: [String: (critical: Bool, value: String)] = [:]
    var current: (name: String, critical: Bool)?
    for line in text.split(separator: "\n") {
      if !line.hasPrefix(" ") {
        let parts = line.split(separator: ":", maxSplits: 1)
        let header = String(parts[0])
        current = names[header].map { ($0, parts.count > 1 && parts[1].contains("critical")) }
      } else if let entry = current {
        let value = line.trimmingCharacters(in: .whitespaces)
        let previous = result[entry.name]?.value
        result[entry.name] = (entry.critical, previous.map { $0 + " " + value } ?? value)
      }
    }
    return result
  }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Permission bits of a path.
func permissions(_ path: String) throws -> Int {
  let attributes = try FileManager.default.attributesOfItem(atPath: path)
  return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
