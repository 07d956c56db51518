import CLibSSH2

/// Process-wide libssh2 state. libssh2_init must run once before any session is made.
public enum LibSSH2 {
  private static let initResult: Int32 = libssh2_init(0)

  /// Initialises libssh2 once per process; safe to call from any thread any number of times.
  public static func ensureInitialized() throws(SSHError) {
    let rc = initResult
    guard rc == 0 else { throw .libraryInitFailed(code: rc) }
  }

  /// The linked libssh2 version, e.g. `1.10.0`.
  public static var version: String {
    guard let text = libssh2_version(0) else { return "unknown" }
    return String(cString: text)
  }
}

/// Owns one bare libssh2 session object (not connected). `SSHClient` is the connected, usable API.
public final class SSHSessionHandle {
  let raw: OpaquePointer

  public init() throws(SSHError) {
    try LibSSH2.ensureInitialized()
    guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else { throw .sessionAllocationFailed }
    raw = session
  }

  deinit { libssh2_session_free(raw) }

  /// Whether the session is in blocking mode (libssh2's default for a new session is blocking).
  public var isBlocking: Bool { libssh2_session_get_blocking(raw) != 0 }
}
