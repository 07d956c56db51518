import CLibSSH2
import Foundation

/// User authentication in OpenSSH's order: ssh-agent, then key files, then a password only if one was given.
extension SessionCore {
  private enum KeyAttempt {
    case accepted
    case rejected(note: String?)
    case unusable(SSHError)
  }

  /// Why an RSA key may be refused by a server that lists it in authorized_keys.
  static let rsaSHA1Note =
    "rsa: libssh2 1.10 signs RSA keys with SHA-1 (ssh-rsa), which OpenSSH 8.8+ refuses by default; use an ed25519 key"

  /// Authenticates or throws: a key-file problem (too open, wrong passphrase, ...) when one kept a key from being
  /// tried, otherwise `authenticationFailed` listing what was tried and what the server allows.
  func authenticate() throws {
    let user = target.user
    let limit = connectLimit("authentication")
    let list = try retryPointer(limit) { libssh2_userauth_list(session, user, UInt32(user.utf8.count)) }
    guard let list else {
      if libssh2_userauth_authenticated(session) != 0 {
        authMethod = "none"
        return
      }
      throw SSHError.connectionLost(host: target.host, reason: "during authentication: \(lastError().message)")
    }
    let allowed = String(cString: list).split(separator: ",").map(String.init)
    var tried: [String] = []
    var problems: [SSHError] = []

    if allowed.contains("publickey") {
      if target.useAgent, try authenticateWithAgent(tried: &tried, allowed: allowed) { return }
      for path in target.identityFiles {
        switch try authenticateWithKeyFile(path, tried: tried, allowed: allowed) {
        case .accepted:
          return
        case .rejected(let note):
          tried.append("publickey \(path)" + (note.map { " (\($0))" } ?? ""))
        case .unusable(let problem):
          tried.append("publickey \(path) (unusable)")
          problems.append(problem)
        }
      }
    }
    if let password = target.password {
      if allowed.contains("password") {
        tried.append("password")
        if try authenticateWithPassword(password, tried: tried, allowed: allowed) { return }
      } else if allowed.contains("keyboard-interactive") {
        tried.append("keyboard-interactive")
        if try authenticateKeyboardInteractive(password, tried: tried, allowed: allowed) { return }
      }
    }
    if let problem = problems.first { throw problem }
    throw SSHError.authenticationFailed(host: target.host, user: user, tried: tried, allowed: allowed)
  }

  /// Throws when the server hung up during authentication (for example after MaxAuthTries failures).
  private func checkStillConnected(_ rc: Int32, tried: [String], allowed: [String]) throws {
    guard Self.isConnectionError(rc) || libssh2_session_last_errno(session) == LIBSSH2_ERROR_SOCKET_DISCONNECT
    else { return }
    throw SSHError.authenticationFailed(
      host: target.host, user: target.user,
      tried: tried + ["(the server closed the connection: too many authentication failures? \(lastError().message))"],
      allowed: allowed)
  }

  private func authenticateWithAgent(tried: inout [String], allowed: [String]) throws -> Bool {
    let socketPath = target.agentSocketPath ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"]
    guard let socketPath, !socketPath.isEmpty else { return false }
    guard let agent = libssh2_agent_init(session) else { return false }
    defer {
      _ = libssh2_agent_disconnect(agent)
      libssh2_agent_free(agent)
    }
    libssh2_agent_set_identity_path(agent, socketPath)
    guard libssh2_agent_connect(agent) == 0 else {
      tried.append("agent (cannot connect to \(socketPath))")
      return false
    }
    guard try retry(connectLimit("agent key listing"), { libssh2_agent_list_identities(agent) }) == 0 else {
      tried.append("agent (cannot list its keys: \(lastError().message))")
      return false
    }
    var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
    var count = 0
    while true {
      var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
      guard libssh2_agent_get_identity(agent, &identity, previous) == 0, let identity else { break }
      count += 1
      let user = target.user
      let rc = try retry(connectLimit("agent authentication")) { libssh2_agent_userauth(agent, user, identity) }
      if rc == 0 {
        let comment = identity.pointee.comment.map { String(cString: $0) } ?? ""
        authMethod = "publickey (agent key \(comment.isEmpty ? "#\(count)" : comment))"
        return true
      }
      try checkStillConnected(rc, tried: tried + ["agent (\(count) keys)"], allowed: allowed)
      previous = identity
    }
    tried.append(count == 0 ? "agent (no keys loaded)" : "agent (\(count) key\(count == 1 ? "" : "s") rejected)")
    return false
  }

  private func authenticateWithKeyFile(_ path: String, tried: [String], allowed: [String]) throws -> KeyAttempt {
    let key: PrivateKeyFile
    do {
      key = try PrivateKeyFile.inspect(path)
    } catch let problem as SSHError {
      return .unusable(problem)
    }
    var passphrase = ""
    if key.isEncrypted {
      if let value = target.keyPassphrase {
        passphrase = value
      } else if let answer = target.passphraseProvider?.passphrase(forKey: path) {
        passphrase = answer
      } else {
        return .unusable(.keyPassphraseRequired(path: path))
      }
    }
    let user = target.user
    let rc = try retry(connectLimit("public key authentication")) {
      libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, path, passphrase)
    }
    if rc == 0 {
      authMethod = "publickey (\(path))"
      return .accepted
    }
    try checkStillConnected(rc, tried: tried + ["publickey \(path)"], allowed: allowed)
    if rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED {
      // libssh2 could not load the private key: with an encrypted key that is the passphrase.
      return .unusable(
        key.isEncrypted ? .keyPassphraseWrong(path: path) : .keyFileUnreadable(path: path, reason: lastError().message))
    }
    return .rejected(note: key.isRSA ? Self.rsaSHA1Note : nil)
  }

  private func authenticateWithPassword(_ password: String, tried: [String], allowed: [String]) throws -> Bool {
    let user = target.user
    let rc = try retry(connectLimit("password authentication")) {
      libssh2_userauth_password_ex(
        session, user, UInt32(user.utf8.count), password, UInt32(password.utf8.count), nil)
    }
    if rc == 0 {
      authMethod = "password"
      return true
    }
    try checkStillConnected(rc, tried: tried, allowed: allowed)
    return false
  }

  /// Answers every keyboard-interactive prompt with the password (what PAM's password prompt expects).
  private func authenticateKeyboardInteractive(_ password: String, tried: [String], allowed: [String]) throws -> Bool {
    keyboardInteractive.password = password
    defer { keyboardInteractive.password = nil }
    let user = target.user
    let rc = try retry(connectLimit("keyboard-interactive authentication")) {
      libssh2_userauth_keyboard_interactive_ex(session, user, UInt32(user.utf8.count)) {
        _, _, _, _, promptCount, _, responses, abstract in
        guard let abstract, let raw = abstract.pointee, let responses else { return }
        let context = Unmanaged<KeyboardInteractiveContext>.fromOpaque(raw).takeUnretainedValue()
        guard let password = context.password, promptCount > 0 else { return }
        for index in 0..<Int(promptCount) {
          // libssh2 frees responses with free(): strdup allocates with malloc.
          responses[index].text = strdup(password)
          responses[index].length = UInt32(password.utf8.count)
        }
      }
    }
    if rc == 0 {
      authMethod = "keyboard-interactive"
      return true
    }
    try checkStillConnected(rc, tried: tried, allowed: allowed)
    return false
  }
}
