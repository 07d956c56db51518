import CLibSSH2
import Foundation

/// Host-key verification against known_hosts with libssh2_knownhost_*, like OpenSSH's StrictHostKeyChecking.
extension SessionCore {
  /// Checks the server's host key: a match passes; a changed key always fails (naming the conflicting line);
  /// an unknown key fails under `.strict` and is appended to known_hosts under `.acceptNew`.
  func verifyHostKey(knownHosts known: KnownHostsFile) throws {
    var length = 0
    var rawType: Int32 = 0
    guard let keyPointer = libssh2_session_hostkey(session, &length, &rawType), length > 0 else {
      throw SSHError.handshakeFailed(host: target.host, port: target.port, reason: "the server sent no host key")
    }
    let key = Array(UnsafeRawBufferPointer(start: keyPointer, count: length).bindMemory(to: UInt8.self))
    let keyType = HostKeyFormat.keyType(ofBlob: key) ?? Self.hostKeyTypeName(rawType)
    if let digest = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) {
      let bytes = UnsafeRawPointer(digest).bindMemory(to: UInt8.self, capacity: 32)
      hostKeyFingerprint = HostKeyFormat.fingerprint(sha256Digest: Array(UnsafeBufferPointer(start: bytes, count: 32)))
    } else {
      hostKeyFingerprint = HostKeyFormat.fingerprint(keyBlob: key)
    }
    let name = target.knownHostsName
    let path = target.knownHostsPath
    if let problem = known.readError { throw SSHError.knownHostsFailed(path: path, reason: problem) }

    guard let hosts = libssh2_knownhost_init(session) else {
      throw SSHError.knownHostsFailed(path: path, reason: "libssh2 could not allocate a known-hosts list")
    }
    defer { libssh2_knownhost_free(hosts) }
    // Line by line rather than libssh2_knownhost_readfile, which stops at the first line it cannot parse
    // (markers, key types it does not know): those lines are skipped instead.
    for entry in known.entries {
      _ = libssh2_knownhost_readline(hosts, entry.text, entry.text.utf8.count, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
    }

    let typeMask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | Self.knownHostKeyMask(keyType)
    // The name already carries `[host]:port` for non-22 ports, so port -1 makes libssh2 check exactly that name
    // (given a port, libssh2 would also accept entries for the plain host, which OpenSSH does not).
    let verdict = key.withUnsafeBytes { bytes in
      libssh2_knownhost_checkp(
        hosts, name, -1, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, typeMask, nil)
    }
    switch verdict {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      let line = known.conflictingEntry(for: name, keyType: keyType, key: key)?.line
      throw SSHError.hostKeyChanged(
        host: name, keyType: keyType, fingerprint: hostKeyFingerprint, knownHostsPath: path, line: line)
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
      guard target.hostKeyPolicy == .acceptNew else {
        throw SSHError.hostKeyUnknown(host: name, keyType: keyType, fingerprint: hostKeyFingerprint, knownHostsPath: path)
      }
      try appendHostKey(hosts: hosts, name: name, key: key, typeMask: typeMask, path: path)
    default:
      throw SSHError.knownHostsFailed(path: path, reason: "libssh2 could not check the host key: \(lastError().message)")
    }
  }

  /// Adds the key to libssh2's list, lets libssh2 format the line, and appends that line to the file
  /// (libssh2_knownhost_writefile would rewrite the whole file and drop the lines it cannot parse).
  private func appendHostKey(
    hosts: OpaquePointer, name: String, key: [UInt8], typeMask: Int32, path: String
  ) throws {
    var stored: UnsafeMutablePointer<libssh2_knownhost>?
    let comment = "added by swetcd"
    let added = key.withUnsafeBytes { bytes in
      libssh2_knownhost_addc(
        hosts, name, nil, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count,
        comment, comment.utf8.count, typeMask, &stored)
    }
    guard added == 0, let stored else {
      throw SSHError.knownHostsFailed(path: path, reason: "libssh2 could not add the key: \(lastError().message)")
    }
    var buffer = [CChar](repeating: 0, count: 16384)
    var outLength = 0
    let written = libssh2_knownhost_writeline(
      hosts, stored, &buffer, buffer.count, &outLength, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
    guard written == 0 else {
      throw SSHError.knownHostsFailed(path: path, reason: "libssh2 could not format the line: \(lastError().message)")
    }
    let line = String(decoding: buffer.prefix(outLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    try KnownHostsFile.append(line: line, to: path)
  }

  /// libssh2's known-host key type bits for an algorithm name.
  static func knownHostKeyMask(_ keyType: String) -> Int32 {
    switch keyType {
    case "ssh-rsa": return LIBSSH2_KNOWNHOST_KEY_SSHRSA
    case "ssh-dss": return LIBSSH2_KNOWNHOST_KEY_SSHDSS
    case "ecdsa-sha2-nistp256": return LIBSSH2_KNOWNHOST_KEY_ECDSA_256
    case "ecdsa-sha2-nistp384": return LIBSSH2_KNOWNHOST_KEY_ECDSA_384
    case "ecdsa-sha2-nistp521": return LIBSSH2_KNOWNHOST_KEY_ECDSA_521
    case "ssh-ed25519": return LIBSSH2_KNOWNHOST_KEY_ED25519
    default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN
    }
  }

  /// The algorithm name for libssh2's host key type code.
  static func hostKeyTypeName(_ type: Int32) -> String {
    switch type {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa"
    case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521"
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519"
    default: return "unknown"
    }
  }
}
