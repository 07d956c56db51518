import Crypto
import Foundation
import Synchronization

/// An OpenSSH known_hosts file, parsed line by line so errors can name the line of a conflicting entry.
///
/// libssh2 decides whether a key matches (`SessionCore+HostKey`); this parser feeds it the lines it understands
/// and finds line numbers, matching plain names, `[host]:port` names and hashed `|1|salt|hash` names.
struct KnownHostsFile {
  /// One host key line.
  struct Entry: Equatable {
    /// 1-based line number in the file.
    let line: Int
    /// The host field: comma-separated names or one hashed name.
    let hosts: String
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...
    let keyType: String
    /// The base64 key blob.
    let keyBase64: String
    /// The whole line as written, for libssh2's parser.
    let text: String
  }

  let path: String
  /// Host key lines, without comments, blank lines and `@cert-authority`/`@revoked` lines.
  let entries: [Entry]
  /// Set when the file exists but could not be read.
  let readError: String?

  /// Reads and parses `path`; a missing file is an empty list.
  static func load(path: String) -> KnownHostsFile {
    guard FileManager.default.fileExists(atPath: path) else {
      return KnownHostsFile(path: path, entries: [], readError: nil)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      return KnownHostsFile(path: path, entries: [], readError: "cannot read the file (permissions?)")
    }
    return KnownHostsFile(path: path, entries: parse(String(decoding: data, as: UTF8.self)), readError: nil)
  }

  /// Parses known_hosts text into entries.
  static func parse(_ text: String) -> [Entry] {
    var entries: [Entry] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("@") { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 3 else { continue }
      entries.append(Entry(
        line: index + 1, hosts: String(fields[0]), keyType: String(fields[1]), keyBase64: String(fields[2]),
        text: line))
    }
    return entries
  }

  /// Entries whose host field matches `name` (a plain host, or `[host]:port` for non-22 ports).
  func entries(for name: String) -> [Entry] {
    entries.filter { Self.hostField($0.hosts, matches: name) }
  }

  /// The key types recorded for `name`, in file order, without duplicates.
  func keyTypes(for name: String) -> [String] {
    var seen = Set<String>()
    return entries(for: name).map(\.keyType).filter { seen.insert($0).inserted }
  }

  /// The first entry for `name` with the same key type but a different key: the line a changed key conflicts with.
  func conflictingEntry(for name: String, keyType: String, key: [UInt8]) -> Entry? {
    let presented = Data(key).base64EncodedString()
    return entries(for: name).first { $0.keyType == keyType && $0.keyBase64 != presented }
  }

  /// Whether a known_hosts host field matches `name`: exact names in a comma list, or a hashed name
  /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as OpenSSH writes with HashKnownHosts.
  static func hostField(_ field: String, matches name: String) -> Bool {
    if field.hasPrefix("|1|") {
      let parts = field.dropFirst(3).split(separator: "|", omittingEmptySubsequences: false)
      guard parts.count == 2, let salt = Data(base64Encoded: String(parts[0])),
        let hash = Data(base64Encoded: String(parts[1]))
      else { return false }
      let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: salt))
      return Data(mac) == hash
    }
    return field.split(separator: ",").contains { String($0) == name }
  }

  // MARK: Appending

  private static let appendLock = Mutex<Void>(())

  /// Appends one line (written by libssh2) to the file, creating it (0600) and its folder (0700) if needed.
  static func append(line: String, to path: String) throws {
    try appendLock.withLock { _ in
      let folder = (path as NSString).deletingLastPathComponent
      if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
        do {
          try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
          throw SSHError.knownHostsFailed(path: path, reason: "cannot create folder \(folder): \(error.localizedDescription)")
        }
      }
      let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
      guard fd >= 0 else {
        throw SSHError.knownHostsFailed(path: path, reason: "cannot open for appending: \(String(cString: strerror(errno)))")
      }
      defer { close(fd) }
      // Keep the file well-formed when its last line lacks a newline.
      var text = line.hasSuffix("\n") ? line : line + "\n"
      var st = stat()
      if fstat(fd, &st) == 0 && st.st_size > 0, let existing = FileHandle(forReadingAtPath: path) {
        defer { try? existing.close() }
        try? existing.seek(toOffset: UInt64(st.st_size - 1))
        if let last = try? existing.read(upToCount: 1), last != Data("\n".utf8) { text = "\n" + text }
      }
      let bytes = Array(text.utf8)
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard written == bytes.count else {
        throw SSHError.knownHostsFailed(path: path, reason: "cannot append: \(String(cString: strerror(errno)))")
      }
      _ = fsync(fd)
    }
  }
}

/// Host key fingerprints and key blob helpers.
enum HostKeyFormat {
  /// OpenSSH's fingerprint format: `SHA256:` and the unpadded base64 of the SHA-256 digest.
  static func fingerprint(sha256Digest digest: [UInt8]) -> String {
    var text = Data(digest).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return "SHA256:" + text
  }

  /// The fingerprint of a public key blob.
  static func fingerprint(keyBlob: [UInt8]) -> String {
    fingerprint(sha256Digest: Array(SHA256.hash(data: keyBlob)))
  }

  /// The algorithm name a public key blob starts with (an SSH string), e.g. `ssh-ed25519`.
  static func keyType(ofBlob blob: [UInt8]) -> String? {
    guard blob.count >= 4 else { return nil }
    let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
    guard length > 0, length <= blob.count - 4 else { return nil }
    return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
  }
}
