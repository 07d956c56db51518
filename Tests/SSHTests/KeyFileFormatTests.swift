import Foundation
import TestSupport
import Testing

@testable import SSH

/// The file formats parsed without a server: known_hosts lines, private key headers, fingerprints.
/// Inputs come from OpenSSH's own ssh-keygen.
@Suite struct KeyFileFormatTests {
  @Test func knownHostsParserKeepsLineNumbersAndSkipsCommentsAndMarkers() {
    let text = """
      # comment
      host-a,10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB

      @cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC
      [host-b]:2222 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ comment here
      garbage
      """
    let entries = KnownHostsFile.parse(text)
    #expect(entries.map(\.line) == [2, 5])
    #expect(entries.map(\.keyType) == ["ssh-ed25519", "ssh-rsa"])
    let file = KnownHostsFile(path: "/x", entries: entries, readError: nil)
    #expect(file.entries(for: "10.0.0.1").map(\.line) == [2])
    #expect(file.entries(for: "[host-b]:2222").map(\.line) == [5])
    #expect(file.entries(for: "host-b").isEmpty)
  }

  @Test func hashedHostNamesWrittenBySshKeygenAreMatched() async throws {
    let folder = makeTemporaryDirectory("swetcd-knownhosts")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/known_hosts"
    let keyFile = try await makeKey(named: "host", in: folder)
    let key = try String(contentsOfFile: keyFile + ".pub", encoding: .utf8).split(separator: " ")[1]
    try "[db1.lab]:2200 ssh-ed25519 \(key)\nweb1 ssh-ed25519 \(key)\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    try await runTool("/usr/bin/ssh-keygen", ["-H", "-f", path])
    let file = KnownHostsFile.load(path: path)
    #expect(file.entries.count == 2)
    #expect(file.entries.allSatisfy { $0.hosts.hasPrefix("|1|") })
    #expect(file.entries(for: "[db1.lab]:2200").map(\.line) == [1])
    #expect(file.entries(for: "web1").map(\.line) == [2])
    #expect(file.entries(for: "db1.lab").isEmpty)
    #expect(file.entries(for: "web2").isEmpty)
  }

  @Test func fingerprintsMatchSshKeygen() async throws {
    let folder = makeTemporaryDirectory("swetcd-fingerprint")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for type in ["ed25519", "rsa"] {
      let key = try await makeKey(named: "k_\(type)", in: folder, type: type)
      let line = try String(contentsOfFile: key + ".pub", encoding: .utf8)
      let blob = try #require(Data(base64Encoded: String(line.split(separator: " ")[1])))
      let expected = try await runTool("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", key + ".pub"])
        .split(separator: " ")[1]
      #expect(HostKeyFormat.fingerprint(keyBlob: [UInt8](blob)) == String(expected))
      #expect(HostKeyFormat.keyType(ofBlob: [UInt8](blob)) == (type == "rsa" ? "ssh-rsa" : "ssh-ed25519"))
    }
  }

  @Test func privateKeyEncryptionIsDetectedInOpenSSHAndPEMFormats() async throws {
    let folder = makeTemporaryDirectory("swetcd-keys")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let plain = try await makeKey(named: "plain", in: folder)
    let encrypted = try await makeKey(named: "encrypted", in: folder, passphrase: "pw")
    let pem = folder + "/pem"
    try await runTool("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "pw-long", "-f", pem])
    #expect(try PrivateKeyFile.inspect(plain).isEncrypted == false)
    #expect(try PrivateKeyFile.inspect(encrypted).isEncrypted == true)
    #expect(try PrivateKeyFile.inspect(pem).isEncrypted == true)
    #expect(throws: SSHError.keyFileUnreadable(path: plain + ".pub", reason: "not a private key (no PRIVATE KEY block; is it the .pub file?)")) {
      chmod(plain + ".pub", 0o600)
      _ = try PrivateKeyFile.inspect(plain + ".pub")
    }
    chmod(plain, 0o640)
    #expect(throws: SSHError.keyFileTooOpen(path: plain, mode: 0o640)) { _ = try PrivateKeyFile.inspect(plain) }
  }

  @Test func shellQuotingSurvivesQuotesAndSpaces() async throws {
    let tricky = "it's a \"test\" $HOME `x` \\ end"
    let output = try await runTool("/bin/sh", ["-c", "printf %s \(shellQuote(tricky))"])
    #expect(output == tricky)
  }
}

/// Paths in a target may start with `~/` as users write them in inventories.
@Suite struct TargetPathTests {
  @Test func tildePathsExpandToTheHomeDirectory() {
    let home = SSHTarget.homeDirectory
    let target = SSHTarget(
      host: "h", user: "u", identityFiles: ["~/.ssh/id_ed25519", "/abs/key"], agentSocketPath: "~/agent.sock",
      knownHostsPath: "~/.ssh/known_hosts"
    ).expandingTildes()
    #expect(target.identityFiles == [home + "/.ssh/id_ed25519", "/abs/key"])
    #expect(target.knownHostsPath == home + "/.ssh/known_hosts")
    #expect(target.agentSocketPath == home + "/agent.sock")
    #expect(SSHTarget(host: "h", port: 2222, user: "u").knownHostsName == "[h]:2222")
    #expect(SSHTarget(host: "h", user: "u").knownHostsName == "h")
  }
}
