import Foundation

/// Checks a private key file before libssh2 sees it: present, private (mode 0600 or stricter), encrypted or not.
struct PrivateKeyFile {
  let path: String
  /// Whether the key needs a passphrase.
  let isEncrypted: Bool
  /// The key algorithm when the file shows it (`ssh-ed25519`, `ssh-rsa`, ...).
  let algorithm: String?

  /// libssh2 1.10 signs RSA user keys only with SHA-1 (`ssh-rsa`), which OpenSSH 8.8 and later refuse by default.
  var isRSA: Bool { algorithm == "ssh-rsa" }

  /// Inspects `path`. Throws `keyFileUnreadable` or, like OpenSSH, `keyFileTooOpen` when group or others have any
  /// permission on it.
  static func inspect(_ path: String) throws -> PrivateKeyFile {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw SSHError.keyFileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw SSHError.keyFileUnreadable(path: path, reason: "not a regular file")
    }
    let mode = UInt32(info.st_mode) & 0o7777
    if mode & 0o077 != 0 { throw SSHError.keyFileTooOpen(path: path, mode: mode & 0o777) }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SSHError.keyFileUnreadable(path: path, reason: "cannot read the file")
    }
    let text = String(decoding: data, as: UTF8.self)
    guard text.contains("PRIVATE KEY-----") else {
      throw SSHError.keyFileUnreadable(path: path, reason: "not a private key (no PRIVATE KEY block; is it the .pub file?)")
    }
    let header = try openSSHHeader(text, path: path)
    let pemRSA = text.contains("-----BEGIN RSA PRIVATE KEY-----")
    let encrypted = header.map { $0.cipher != "none" }
      ?? (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED"))
    return PrivateKeyFile(path: path, isEncrypted: encrypted, algorithm: header?.algorithm ?? (pemRSA ? "ssh-rsa" : nil))
  }

  /// The cipher and key algorithm in the unencrypted header of an `openssh-key-v1` key (what ssh-keygen writes by
  /// default); nil for PEM and PKCS#8 files, whose encryption shows as `Proc-Type: 4,ENCRYPTED` or
  /// `ENCRYPTED PRIVATE KEY`.
  static func openSSHHeader(_ text: String, path: String) throws -> (cipher: String, algorithm: String?)? {
    let begin = "-----BEGIN OPENSSH PRIVATE KEY-----", end = "-----END OPENSSH PRIVATE KEY-----"
    guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
    else { return nil }
    let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
    guard let blob = Data(base64Encoded: String(body)) else {
      throw SSHError.keyFileUnreadable(path: path, reason: "the OpenSSH key block is not valid base64")
    }
    var reader = SSHWireReader(bytes: [UInt8](blob))
    let magic = Array("openssh-key-v1".utf8) + [0]
    guard reader.take(magic.count) == magic, let cipher = reader.string() else {
      throw SSHError.keyFileUnreadable(path: path, reason: "not a valid openssh-key-v1 key")
    }
    // kdfname, kdfoptions, number of keys, then the first public key blob, which starts with its algorithm.
    var algorithm: String?
    if reader.field() != nil, reader.field() != nil, reader.take(4) != nil, let publicKey = reader.field() {
      var keyReader = SSHWireReader(bytes: publicKey)
      algorithm = keyReader.string()
    }
    return (cipher, algorithm)
  }
}

/// Reads SSH wire-format fields (uint32 length + bytes).
struct SSHWireReader {
  let bytes: [UInt8]
  var offset = 0

  /// The next `count` raw bytes, or nil past the end.
  mutating func take(_ count: Int) -> [UInt8]? {
    guard count >= 0, offset + count <= bytes.count else { return nil }
    defer { offset += count }
    return Array(bytes[offset..<(offset + count)])
  }

  /// The next length-prefixed field, or nil.
  mutating func field() -> [UInt8]? {
    guard let length = take(4) else { return nil }
    return take(Int(length[0]) << 24 | Int(length[1]) << 16 | Int(length[2]) << 8 | Int(length[3]))
  }

  /// The next length-prefixed field as UTF-8 text, or nil.
  mutating func string() -> String? {
    field().map { String(decoding: $0, as: UTF8.self) }
  }
}
