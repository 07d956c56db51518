import Foundation

/// An authenticated SSH connection to one host: run commands, upload files atomically, read files.
///
/// libssh2 sessions are not thread-safe, so every client owns one serial queue and every libssh2 call of its
/// session runs there; calls from many tasks are queued in order. Use one client per host to work on hosts in
/// parallel. All methods throw `SSHError`.
///
/// ```swift
/// let client = try await SSHClient.connect(SSHTarget(host: "10.0.0.5", user: "root"))
/// defer { Task { await client.close() } }
/// let result = try await client.runChecked("systemctl is-active etcd")
/// ```
public final class SSHClient: Sendable {
  /// The target this client is connected to.
  public let target: SSHTarget
  /// The verified host key's fingerprint, `SHA256:...` like `ssh-keygen -l` prints it.
  public let hostKeyFingerprint: String
  /// How authentication succeeded, e.g. `publickey (agent key me@laptop)` (never contains secrets).
  public let authenticationMethod: String
  private let worker: SessionWorker

  private init(target: SSHTarget, worker: SessionWorker, fingerprint: String, method: String) {
    self.target = target
    self.worker = worker
    hostKeyFingerprint = fingerprint
    authenticationMethod = method
  }

  /// Connects: TCP with `connectTimeout` (through the jump host if any), SSH handshake, host-key check against
  /// `knownHostsPath` under `hostKeyPolicy`, then authentication (agent, key files, password if given).
  public static func connect(_ target: SSHTarget) async throws -> SSHClient {
    let worker = SessionWorker(label: "swetcd.ssh.\(target.user)@\(target.host):\(target.port)")
    let (fingerprint, method) = try await worker.perform(host: target.host) { state in
      let core = try SessionCore(target: target)
      state.core = core
      core.cancel = state.cancel
      do {
        try core.connect()
      } catch {
        state.core = nil
        core.shutdown()
        throw error
      }
      return (core.hostKeyFingerprint, core.authMethod)
    }
    return SSHClient(target: target, worker: worker, fingerprint: fingerprint, method: method)
  }

  /// Runs `command` through the login shell and returns its output and exit status, whatever the status.
  ///
  /// - Parameters:
  ///   - stdin: bytes fed to the command's standard input (then EOF); nil sends EOF at once.
  ///   - timeout: the limit for this command; nil uses the target's `commandTimeout`. On expiry the command's
  ///     process group gets SIGTERM and `commandTimedOut` is thrown.
  ///   - sudo: wrap the command in the target's sudo mode (no effect when it is `.none`).
  public func run(
    _ command: String, stdin: Data? = nil, timeout: Duration? = nil, sudo: Bool = true
  ) async throws -> CommandResult {
    let limit = timeout ?? target.commandTimeout
    return try await withCore { core in try core.exec(command, stdin: stdin, timeout: limit, useSudo: sudo) }
  }

  /// Like `run`, but throws `commandFailed` (with the command and its stderr) unless the exit status is 0.
  @discardableResult
  public func runChecked(
    _ command: String, stdin: Data? = nil, timeout: Duration? = nil, sudo: Bool = true
  ) async throws -> CommandResult {
    let result = try await run(command, stdin: stdin, timeout: timeout, sudo: sudo)
    guard result.succeeded else {
      throw SSHError.commandFailed(
        host: target.host, command: command, exitStatus: result.exitStatus, exitSignal: result.exitSignal,
        stderr: result.stderrText)
    }
    return result
  }

  /// Uploads `data` to `remotePath` atomically: SFTP write to `<dir>/.<name>.swetcd-tmp-<random>`, fsync, close,
  /// remote `sha256sum` compared with the local hash, chmod `mode`, chown `owner` (`user` or `user:group`), then
  /// rename over `remotePath`. The temporary file is removed on any failure.
  /// With a sudo mode the bytes are staged in the login user's home and installed by root.
  ///
  /// - Parameter progress: called with (bytes sent, total bytes) as the transfer advances, on the session queue.
  public func upload(
    _ data: Data, to remotePath: String, mode: UInt32 = 0o644, owner: String? = nil,
    progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)? = nil
  ) async throws {
    try await withCore { core in
      try core.upload(.data(data), to: remotePath, mode: mode, owner: owner, progress: progress)
    }
  }

  /// Uploads the local file at `localFile` to `remotePath`, atomically as `upload(_:to:...)` does; the file is
  /// streamed, not loaded into memory.
  public func upload(
    localFile: String, to remotePath: String, mode: UInt32 = 0o644, owner: String? = nil,
    progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)? = nil
  ) async throws {
    try await withCore { core in
      try core.upload(.file(localFile), to: remotePath, mode: mode, owner: owner, progress: progress)
    }
  }

  /// The contents of the remote file, or nil when it does not exist (read as root when the target has a sudo mode).
  public func readFile(_ path: String) async throws -> Data? {
    try await withCore { core in try core.readFile(path) }
  }

  /// The SHA-256 (lowercase hex) of the remote file, or nil when it does not exist.
  public func fileSHA256(_ path: String) async throws -> String? {
    try await withCore { core in try core.fileSHA256(path) }
  }

  /// Disconnects and frees the session (and the jump tunnel). Later calls throw `SSHError.closed`.
  public func close() async {
    _ = try? await worker.perform(host: target.host) { state in
      state.core?.shutdown()
      state.core = nil
    }
  }

  private func withCore<T: Sendable>(_ body: @escaping @Sendable (SessionCore) throws -> T) async throws -> T {
    let host = target.host
    return try await worker.perform(host: host) { state in
      guard let core = state.core else { throw SSHError.closed(host: host) }
      core.cancel = state.cancel
      defer { core.cancel = nil }
      return try body(core)
    }
  }

  deinit {
    worker.shutdownWhenIdle()
  }
}

/// The serial queue of one client and the state only that queue touches.
final class SessionWorker: @unchecked Sendable {
  /// State owned by the queue; never touched from elsewhere (hence unchecked).
  final class State: @unchecked Sendable {
    var core: SessionCore?
    var cancel: CancelFlag?
  }

  private let queue: DispatchQueue
  private let state = State()

  init(label: String) {
    queue = DispatchQueue(label: label)
  }

  /// Runs `body` on the queue; cancelling the calling task sets the operation's cancel flag.
  func perform<T: Sendable>(host: String, _ body: @escaping @Sendable (State) throws -> T) async throws -> T {
    let flag = CancelFlag()
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        queue.async { [state] in
          if flag.isCancelled {
            continuation.resume(throwing: SSHError.cancelled(host: host, operation: "operation"))
            return
          }
          state.cancel = flag
          defer { state.cancel = nil }
          continuation.resume(with: Result { try body(state) })
        }
      }
    } onCancel: {
      flag.cancel()
    }
  }

  /// Frees the session on the queue after queued work (used when a client is dropped without `close()`).
  func shutdownWhenIdle() {
    queue.async { [state] in
      state.core?.shutdown()
      state.core = nil
    }
  }
}
