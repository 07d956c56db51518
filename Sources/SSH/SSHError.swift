import Foundation

/// Errors of the SSH module. Every case's description says what happened and what to do about it.
///
/// Descriptions never contain secrets: passwords, passphrases and sudo passwords are not part of any case.
public enum SSHError: Error, CustomStringConvertible, Equatable, Sendable {
  /// libssh2 could not be initialised (its crypto backend failed to start).
  case libraryInitFailed(code: Int32)
  /// libssh2 could not allocate a session.
  case sessionAllocationFailed
  /// The target itself is unusable (empty host or user, port out of range, ...).
  case invalidTarget(reason: String)
  /// The TCP connection could not be made (refused, unreachable, name not resolvable).
  case connectFailed(host: String, port: Int, reason: String)
  /// No TCP connection within the connect timeout.
  case connectTimedOut(host: String, port: Int, seconds: Double)
  /// The TCP connection was made but the SSH handshake (banner, key exchange) failed.
  case handshakeFailed(host: String, port: Int, reason: String)
  /// The jump host accepted us but would not open a tunnel to the target.
  case jumpHostFailed(jumpHost: String, target: String, reason: String)
  /// The server's host key is not in known_hosts and the policy is strict.
  case hostKeyUnknown(host: String, keyType: String, fingerprint: String, knownHostsPath: String)
  /// The server presented a different key than the one recorded in known_hosts (possible attack).
  case hostKeyChanged(host: String, keyType: String, fingerprint: String, knownHostsPath: String, line: Int?)
  /// known_hosts could not be read, parsed or appended to.
  case knownHostsFailed(path: String, reason: String)
  /// Every authentication method failed.
  case authenticationFailed(host: String, user: String, tried: [String], allowed: [String])
  /// A private key file is missing, unreadable or in a format libssh2 cannot use.
  case keyFileUnreadable(path: String, reason: String)
  /// A private key file is readable by group or others; like OpenSSH we refuse to use it.
  case keyFileTooOpen(path: String, mode: UInt32)
  /// An encrypted private key was given a passphrase that does not decrypt it.
  case keyPassphraseWrong(path: String)
  /// An encrypted private key needs a passphrase, but no value and no provider was configured (or it gave none).
  case keyPassphraseRequired(path: String)
  /// A command did not finish within its timeout; it was signalled and its channel closed.
  case commandTimedOut(host: String, command: String, seconds: Double)
  /// A command finished with a non-zero exit status or a signal (from `runChecked`).
  case commandFailed(host: String, command: String, exitStatus: Int32, exitSignal: String?, stderr: String)
  /// A session channel could not be opened or the command could not be started.
  case channelFailed(host: String, reason: String)
  /// The connection broke or the server went away in the middle of an operation.
  case connectionLost(host: String, reason: String)
  /// An upload could not be completed; the temporary file was removed.
  case uploadFailed(host: String, path: String, reason: String)
  /// The uploaded bytes hash differently on the remote side than locally; the temporary file was removed.
  case checksumMismatch(host: String, path: String, expected: String, actual: String)
  /// A local file to upload could not be read.
  case localFileUnreadable(path: String, reason: String)
  /// A remote file exists but could not be read or hashed.
  case readFailed(host: String, path: String, reason: String)
  /// sudo asked for the password again after we gave it: the sudo password is wrong.
  case sudoPasswordRejected(host: String, user: String)
  /// sudo needs a password but the sudo mode is passwordless.
  case sudoPasswordRequired(host: String, user: String)
  /// sudo refused or is missing (not installed, user not in sudoers, ...).
  case sudoFailed(host: String, user: String, reason: String)
  /// The operation was cancelled by the caller's task.
  case cancelled(host: String, operation: String)
  /// The client was used after `close()`.
  case closed(host: String)

  public var description: String {
    switch self {
    case .libraryInitFailed(let code):
      return "ssh: libssh2_init failed (code \(code)); check that libssh2 and its OpenSSL libraries are installed (scripts/setup)"
    case .sessionAllocationFailed:
      return "ssh: libssh2 could not allocate a session (out of memory?)"
    case .invalidTarget(let reason):
      return "ssh: invalid target: \(reason); fix the host entry in the inventory"
    case .connectFailed(let host, let port, let reason):
      return "ssh: cannot connect to \(host):\(port): \(reason); check that sshd runs there, the address and port are right and no firewall blocks the port"
    case .connectTimedOut(let host, let port, let seconds):
      return "ssh: connecting to \(host):\(port) timed out after \(Self.format(seconds)) s; check that the host is up and reachable (routing, firewall dropping packets), or raise the connect timeout"
    case .handshakeFailed(let host, let port, let reason):
      return "ssh: SSH handshake with \(host):\(port) failed: \(reason); check that the port is an SSH server and that it allows modern algorithms (ssh-ed25519, curve25519, aes-ctr/gcm)"
    case .jumpHostFailed(let jump, let target, let reason):
      return "ssh: jump host \(jump) could not open a tunnel to \(target): \(reason); allow TCP forwarding on the jump host (AllowTcpForwarding yes) and check that it can reach the target"
    case .hostKeyUnknown(let host, let type, let fingerprint, let path):
      return "ssh: host key of \(host) is not known: \(type) key \(fingerprint) is not in \(path); verify the fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then add it with `ssh-keyscan` or rerun with --accept-new-host-keys"
    case .hostKeyChanged(let host, let type, let fingerprint, let path, let line):
      let location = line.map { "\(path):\($0)" } ?? path
      return "ssh: HOST KEY OF \(host) HAS CHANGED: it now presents \(type) key \(fingerprint), which differs from the key recorded in \(location); someone could be intercepting the connection, or the host was reinstalled. If the change is expected, remove the old entry with `ssh-keygen -R \(Self.removalName(host)) -f \(path)` and connect again; --accept-new-host-keys never overrides a changed key"
    case .knownHostsFailed(let path, let reason):
      return "ssh: known_hosts file \(path): \(reason); fix its permissions or contents, or point the inventory at another known_hosts file"
    case .authenticationFailed(let host, let user, let tried, let allowed):
      let triedText = tried.isEmpty ? "nothing (no agent, no usable key files, no password)" : tried.joined(separator: ", ")
      let allowedText = allowed.isEmpty ? "unknown" : allowed.joined(separator: ",")
      return "ssh: authentication as \(user)@\(host) failed; tried \(triedText); the server allows: \(allowedText). Add your public key to ~\(user)/.ssh/authorized_keys on the host, load it into ssh-agent, or give the right identity file"
    case .keyFileUnreadable(let path, let reason):
      return "ssh: private key \(path) cannot be used: \(reason); check the path and that it is an OpenSSH or PEM private key (ssh-keygen -y -f \(path) must print its public key)"
    case .keyFileTooOpen(let path, let mode):
      return "ssh: UNPROTECTED PRIVATE KEY FILE \(path): permissions \(String(format: "%04o", mode)) are too open; it is required that your private key files are NOT accessible by others. Run `chmod 600 \(path)`"
    case .keyPassphraseWrong(let path):
      return "ssh: the passphrase for private key \(path) is wrong (it does not decrypt the key); give the right passphrase (check with `ssh-keygen -y -f \(path)`)"
    case .keyPassphraseRequired(let path):
      return "ssh: private key \(path) is encrypted and no passphrase was given; load it into ssh-agent (ssh-add \(path)), run interactively to be prompted, or provide the passphrase non-interactively"
    case .commandTimedOut(let host, let command, let seconds):
      return "ssh: command on \(host) did not finish within \(Self.format(seconds)) s and was stopped: \(Self.shorten(command)); raise the command timeout if it is just slow, or check what it waits for"
    case .commandFailed(let host, let command, let status, let signal, let stderr):
      let how = signal.map { "was killed by signal \($0)" } ?? "exited with status \(status)"
      let err = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return "ssh: command on \(host) \(how): \(Self.shorten(command))" + (err.isEmpty ? "" : "; stderr: \(Self.shorten(err, limit: 2000))")
        + "; fix the cause shown above and run again"
    case .channelFailed(let host, let reason):
      return "ssh: cannot run a command on \(host): \(reason); check the server's MaxSessions and that the account has a working shell"
    case .connectionLost(let host, let reason):
      return "ssh: connection to \(host) was lost: \(reason); check the host and the network, then run again (operations are idempotent)"
    case .uploadFailed(let host, let path, let reason):
      return "ssh: upload to \(host):\(path) failed: \(reason); the temporary file was removed. Check that the directory exists, is writable (or set a sudo mode) and the disk is not full"
    case .checksumMismatch(let host, let path, let expected, let actual):
      return "ssh: upload to \(host):\(path) arrived corrupted: sha256 is \(actual), expected \(expected); the temporary file was removed. Run again; if it repeats, check the host's disk and memory"
    case .localFileUnreadable(let path, let reason):
      return "ssh: local file \(path) cannot be read: \(reason); check the path and its permissions"
    case .readFailed(let host, let path, let reason):
      return "ssh: cannot read \(host):\(path): \(reason); check its permissions, or set a sudo mode for root-only files"
    case .sudoPasswordRejected(let host, let user):
      return "ssh: sudo on \(host) rejected the sudo password for \(user); give the right sudo password"
    case .sudoPasswordRequired(let host, let user):
      return "ssh: sudo on \(host) needs a password for \(user) but the sudo mode is passwordless; give a sudo password or allow NOPASSWD for \(user) in /etc/sudoers"
    case .sudoFailed(let host, let user, let reason):
      return "ssh: sudo on \(host) failed for \(user): \(Self.shorten(reason, limit: 500)); install sudo and allow \(user) to run commands as root, or log in as root"
    case .cancelled(let host, let operation):
      return "ssh: \(operation) on \(host) was cancelled; run again to finish it"
    case .closed(let host):
      return "ssh: the connection to \(host) was already closed; connect again (this is a bug in the caller)"
    }
  }

  static func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
  }

  static func shorten(_ text: String, limit: Int = 300) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + "..."
  }

  /// `ssh-keygen -R` takes `[host]:port` for non-standard ports; our host strings are already in that form.
  static func removalName(_ host: String) -> String {
    host.hasPrefix("[") ? "'\(host)'" : host
  }
}
