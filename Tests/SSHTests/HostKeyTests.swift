import Foundation
import SSH
import Testing

/// Host-key verification against known_hosts, checked against a real sshd and OpenSSH's own tools.
extension SSHServerSuites {
@Suite struct HostKeyTests {
  @Test func unknownHostKeyIsRefusedUnderStrictAndNamedInTheError() async throws {
    try await withTestBed(trustServer: false) { bed in
      let fingerprint = try await bed.sshd.hostKeyFingerprint()
      do {
        _ = try await SSHClient.connect(bed.target())
        Issue.record("connect should have been refused")
      } catch let error as SSHError {
        #expect(error == .hostKeyUnknown(
          host: "[127.0.0.1]:\(bed.sshd.port)", keyType: "ssh-ed25519", fingerprint: fingerprint,
          knownHostsPath: bed.knownHosts))
        #expect(error.description.contains(fingerprint))
        #expect(error.description.contains("--accept-new-host-keys"))
      }
      #expect(try String(contentsOfFile: bed.knownHosts, encoding: .utf8).isEmpty)
    }
  }

  @Test func acceptNewRecordsTheKeyAndALaterStrictConnectPasses() async throws {
    try await withTestBed(trustServer: false) { bed in
      let first = try await SSHClient.connect(bed.target(policy: .acceptNew))
      await first.close()
      let recorded = try String(contentsOfFile: bed.knownHosts, encoding: .utf8)
      let key = bed.sshd.hostPublicKey.split(separator: " ")[1]
      #expect(recorded.hasPrefix("[127.0.0.1]:\(bed.sshd.port) ssh-ed25519 \(key)"))
      // OpenSSH itself finds the entry.
      let found = try await runTool("/usr/bin/ssh-keygen", ["-F", "[127.0.0.1]:\(bed.sshd.port)", "-f", bed.knownHosts])
      #expect(found.contains(String(key)))

      let second = try await SSHClient.connect(bed.target(policy: .strict))
      #expect(second.hostKeyFingerprint == (try await bed.sshd.hostKeyFingerprint()))
      await second.close()
      #expect(try String(contentsOfFile: bed.knownHosts, encoding: .utf8) == recorded)
    }
  }

  @Test func changedHostKeyIsRefusedWithFingerprintAndLineEvenUnderAcceptNew() async throws {
    try await withTestBed(trustServer: false) { bed in
      let impostor = try await makeKey(named: "old_host_key", in: bed.directory)
      let oldKey = try String(contentsOfFile: impostor + ".pub", encoding: .utf8).split(separator: " ")[1]
      let contents = """
        # hosts of the lab
        10.9.9.9 ssh-ed25519 \(oldKey)

        [127.0.0.1]:\(bed.sshd.port) ssh-ed25519 \(oldKey)

        """
      try contents.write(toFile: bed.knownHosts, atomically: true, encoding: .utf8)
      let fingerprint = try await bed.sshd.hostKeyFingerprint()
      for policy in [HostKeyPolicy.strict, .acceptNew] {
        do {
          _ = try await SSHClient.connect(bed.target(policy: policy))
          Issue.record("connect should have been refused under \(policy)")
        } catch let error as SSHError {
          #expect(error == .hostKeyChanged(
            host: "[127.0.0.1]:\(bed.sshd.port)", keyType: "ssh-ed25519", fingerprint: fingerprint,
            knownHostsPath: bed.knownHosts, line: 4))
          #expect(error.description.contains("\(bed.knownHosts):4"))
          #expect(error.description.contains(fingerprint))
          #expect(error.description.contains("ssh-keygen -R"))
        }
      }
      #expect(try String(contentsOfFile: bed.knownHosts, encoding: .utf8) == contents)
    }
  }

  @Test func hashedKnownHostsEntryIsMatched() async throws {
    try await withTestBed { bed in
      try await runTool("/usr/bin/ssh-keygen", ["-H", "-f", bed.knownHosts])
      let hashed = try String(contentsOfFile: bed.knownHosts, encoding: .utf8)
      #expect(hashed.hasPrefix("|1|"))
      #expect(!hashed.contains("127.0.0.1"))
      let client = try await SSHClient.connect(bed.target(policy: .strict))
      #expect(try await client.run("echo ok").stdoutText == "ok\n")
      await client.close()
    }
  }

  @Test func hashedConflictingEntryIsFoundByLineNumber() async throws {
    try await withTestBed(trustServer: false) { bed in
      let impostor = try await makeKey(named: "old_host_key", in: bed.directory)
      let oldKey = try String(contentsOfFile: impostor + ".pub", encoding: .utf8).split(separator: " ")[1]
      let plain = "10.1.1.1 ssh-ed25519 \(oldKey)\n[127.0.0.1]:\(bed.sshd.port) ssh-ed25519 \(oldKey)\n"
      try plain.write(toFile: bed.knownHosts, atomically: true, encoding: .utf8)
      try await runTool("/usr/bin/ssh-keygen", ["-H", "-f", bed.knownHosts])
      #expect(!(try String(contentsOfFile: bed.knownHosts, encoding: .utf8)).contains("127.0.0.1"))
      let fingerprint = try await bed.sshd.hostKeyFingerprint()
      await #expect(throws: SSHError.hostKeyChanged(
        host: "[127.0.0.1]:\(bed.sshd.port)", keyType: "ssh-ed25519", fingerprint: fingerprint,
        knownHostsPath: bed.knownHosts, line: 2)
      ) {
        _ = try await SSHClient.connect(bed.target(policy: .acceptNew))
      }
    }
  }

  @Test func entriesForTheSameAddressOnAnotherPortDoNotCount() async throws {
    try await withTestBed(trustServer: false) { bed in
      // An entry for 127.0.0.1 (port 22) with another key is neither a match nor a conflict for [127.0.0.1]:port.
      let other = try await makeKey(named: "port22_host_key", in: bed.directory)
      let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ")[1]
      try "127.0.0.1 ssh-ed25519 \(otherKey)\n".write(toFile: bed.knownHosts, atomically: true, encoding: .utf8)
      let fingerprint = try await bed.sshd.hostKeyFingerprint()
      await #expect(throws: SSHError.hostKeyUnknown(
        host: "[127.0.0.1]:\(bed.sshd.port)", keyType: "ssh-ed25519", fingerprint: fingerprint,
        knownHostsPath: bed.knownHosts)
      ) {
        _ = try await SSHClient.connect(bed.target())
      }
    }
  }

  @Test func missingKnownHostsFileIsCreatedPrivatelyUnderAcceptNew() async throws {
    try await withTestBed(trustServer: false) { bed in
      var target = bed.target(policy: .acceptNew)
      target.knownHostsPath = bed.directory + "/new/.ssh/known_hosts"
      let client = try await SSHClient.connect(target)
      await client.close()
      let attributes = try FileManager.default.attributesOfItem(atPath: target.knownHostsPath)
      #expect((attributes[.posixPermissions] as? Int) == 0o600)
      let contents = try String(contentsOfFile: target.knownHostsPath, encoding: .utf8)
      #expect(contents.split(separator: "\n").count == 1)
    }
  }
}
}
