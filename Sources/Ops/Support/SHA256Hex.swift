import Crypto
import Foundation

/// Lower-case hex SHA-256, the form `sha256sum` prints and the deploy compares local and remote files by.
enum SHA256Hex {
  static func of(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

  /// The file's hash, read in 1 MiB chunks; nil when it cannot be read.
  static func ofFile(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return hex(hasher.finalize())
  }

  static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
