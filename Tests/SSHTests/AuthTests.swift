import Foundation
import SSH
import Testing

/// Authentication against a real sshd: key files (permissions, passphrases, types), ssh-agent, clear failures.
extension SSHServerSuites {
@Suite struct AuthTests {
  @Test func keyFileWithGroupOrOtherBitsIsRefusedBeforeUse() async throws {
    try await withTestBed { bed in
      chmod(bed.clientKey, 0o644)
      do {
        _ = try await SSHClient.connect(bed.target())
        Issue.record("a 0644 key must be refused")
      } catch let error as SSHError {
        #expect(error == .keyFileTooOpen(path: bed.clientKey, mode: 0o644))
        #expect(error.description.contains("UNPROTECTED PRIVATE KEY FILE"))
        #expect(error.description.contains("permissions 0644 are too open"))
        #expect(error.description.contains("chmod 600 \(bed.clientKey)"))
      }
      // The server never saw the key: sshd logged no publickey attempt for it.
      #expect(!bed.sshd.log.contains("Accepted publickey"))
    }
  }

  @Test func encryptedKeyWithTheRightPassphraseConnectsAndIsAskedOncePerKey() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_encrypted", in: bed.directory, passphrase: "correct horse")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      let asked = Locked<[String]>([])
      let provider = PassphraseProvider { path in
        asked.withLock { $0.append(path) }
        return "correct horse"
      }
      for _ in 0..<2 {
        let client = try await SSHClient.connect(bed.target(identityFiles: [key], provider: provider))
        #expect(client.authenticationMethod == "publickey (\(key))")
        #expect(try await client.run("echo in").stdoutText == "in\n")
        await client.close()
      }
      #expect(asked.value == [key])
    }
  }

  @Test func encryptedKeyWithAWrongPassphraseFailsClearly() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_encrypted", in: bed.directory, passphrase: "pass")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      await #expect(throws: SSHError.keyPassphraseWrong(path: key)) {
        _ = try await SSHClient.connect(bed.target(identityFiles: [key], passphrase: "wrong"))
      }
      let client = try await SSHClient.connect(bed.target(identityFiles: [key], passphrase: "pass"))
      await client.close()
    }
  }

  @Test func encryptedKeyWithoutAnyPassphraseSourceSaysHowToProvideOne() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_encrypted", in: bed.directory, passphrase: "pass")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      do {
        _ = try await SSHClient.connect(bed.target(identityFiles: [key]))
        Issue.record("connect should fail without a passphrase")
      } catch let error as SSHError {
        #expect(error == .keyPassphraseRequired(path: key))
        #expect(error.description.contains("ssh-add \(key)"))
      }
    }
  }

  @Test func agentKeysAreUsedWhenNoKeyFileIsGiven() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_agent", in: bed.directory)
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      let agent = try await bed.startAgent()
      try await agent.add(key)
      let client = try await SSHClient.connect(
        bed.target(identityFiles: [], useAgent: true, agentSocket: agent.socketPath))
      #expect(client.authenticationMethod.hasPrefix("publickey (agent key"))
      #expect(try await client.run("echo via agent").stdoutText == "via agent\n")
      await client.close()
    }
  }

  @Test func agentWithoutTheRightKeyFallsBackToKeyFiles() async throws {
    try await withTestBed { bed in
      let stranger = try await makeKey(named: "id_stranger", in: bed.directory)
      let agent = try await bed.startAgent()
      try await agent.add(stranger)
      let client = try await SSHClient.connect(bed.target(useAgent: true, agentSocket: agent.socketPath))
      #expect(client.authenticationMethod == "publickey (\(bed.clientKey))")
      await client.close()
    }
  }

  @Test func rsaKeyFileAuthenticatesWhereTheServerAcceptsSHA1Signatures() async throws {
    try await withTestBed(options: .init(extraConfig: "PubkeyAcceptedAlgorithms +ssh-rsa")) { bed in
      let key = try await makeKey(named: "id_rsa", in: bed.directory, type: "rsa")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      let client = try await SSHClient.connect(bed.target(identityFiles: [key]))
      #expect(try await client.run("echo rsa").stdoutText == "rsa\n")
      await client.close()
    }
  }

  @Test func rsaKeyRefusedByAModernServerExplainsTheSHA1Limit() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_rsa", in: bed.directory, type: "rsa")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      do {
        _ = try await SSHClient.connect(bed.target(identityFiles: [key]))
        Issue.record("OpenSSH 9 refuses ssh-rsa (SHA-1) signatures by default")
      } catch let error as SSHError {
        guard case .authenticationFailed(_, _, let tried, _) = error else {
          Issue.record("unexpected error \(error)")
          return
        }
        #expect(tried.count == 1)
        #expect(tried.first?.contains("use an ed25519 key") == true)
      }
      #expect(bed.sshd.log.contains("ssh-rsa not in PubkeyAcceptedAlgorithms"))
    }
  }

  @Test func rejectedKeyListsWhatWasTriedAndWhatTheServerAllows() async throws {
    try await withTestBed { bed in
      let stranger = try await makeKey(named: "id_stranger", in: bed.directory)
      do {
        _ = try await SSHClient.connect(bed.target(identityFiles: [stranger]))
        Issue.record("an unknown key must be rejected")
      } catch let error as SSHError {
        guard case .authenticationFailed(let host, let user, let tried, let allowed) = error else {
          Issue.record("unexpected error \(error)")
          return
        }
        #expect(host == "127.0.0.1")
        #expect(user == "root")
        #expect(tried == ["publickey \(stranger)"])
        #expect(allowed == ["publickey"])
        #expect(error.description.contains("authorized_keys"))
      }
    }
  }

  @Test func passphraseProviderAsksOncePerKeyAcrossParallelConnections() async throws {
    try await withTestBed { bed in
      let key = try await makeKey(named: "id_encrypted", in: bed.directory, passphrase: "p4ss")
      try bed.sshd.authorize(publicKeyPath: key + ".pub")
      let asks = Locked(0)
      let provider = PassphraseProvider { _ in
        asks.withLock { $0 += 1 }
        return "p4ss"
      }
      let target = bed.target(identityFiles: [key], provider: provider)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<4 {
          group.addTask {
            let client = try await SSHClient.connect(target)
            await client.close()
          }
        }
        try await group.waitForAll()
      }
      #expect(asks.value == 1)
    }
  }
}
}
