import Foundation
import SSH
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Connecting: refused and silent ports fail fast and clearly; ProxyJump through a second real sshd.
extension SSHServerSuites {
@Suite struct ConnectTests {
  @Test func closedPortFailsFastWithAClearError() async throws {
    let port = freeTCPPort()
    let target = SSHTarget(
      host: "127.0.0.1", port: port, user: "root", identityFiles: [], useAgent: false,
      knownHostsPath: "/nonexistent/known_hosts", connectTimeout: .seconds(30))
    let started = ContinuousClock.now
    do {
      _ = try await SSHClient.connect(target)
      Issue.record("nothing listens on \(port)")
    } catch let error as SSHError {
      #expect(error == .connectFailed(host: "127.0.0.1", port: port, reason: "Connection refused"))
      #expect(error.description.contains("127.0.0.1:\(port)"))
      #expect(error.description.contains("check that sshd runs there"))
    }
    // Refused at once, not after the 30 s connect timeout (the margin absorbs a loaded 2-core machine).
    #expect(ContinuousClock.now - started < .seconds(10))
  }

  @Test func serverThatNeverSpeaksTimesOutAfterTheConnectTimeout() async throws {
    // A listening socket that is never accepted: TCP connects, the SSH banner never comes.
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    try #require(ready)
    let port = Int(UInt16(bigEndian: address.sin_port))
    let target = SSHTarget(
      host: "127.0.0.1", port: port, user: "root", identityFiles: [], useAgent: false,
      knownHostsPath: "/nonexistent/known_hosts", connectTimeout: .seconds(1))
    let started = ContinuousClock.now
    do {
      _ = try await SSHClient.connect(target)
      Issue.record("the silent server should time out")
    } catch let error as SSHError {
      guard case .handshakeFailed(_, let failedPort, let reason) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(failedPort == port)
      #expect(reason.contains("no answer during handshake within 1 s"))
    }
    let elapsed = ContinuousClock.now - started
    #expect(elapsed >= .seconds(0.9))
    #expect(elapsed < .seconds(10))
  }

  @Test func unresolvableHostNameFailsClearly() async throws {
    let target = SSHTarget(
      host: "no-such-host.invalid", user: "root", identityFiles: [], useAgent: false,
      knownHostsPath: "/nonexistent/known_hosts", connectTimeout: .seconds(5))
    do {
      _ = try await SSHClient.connect(target)
      Issue.record("the name must not resolve")
    } catch let error as SSHError {
      guard case .connectFailed(let host, _, let reason) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(host == "no-such-host.invalid")
      #expect(reason.hasPrefix("cannot resolve host name"))
    }
  }

  @Test func jumpHostTunnelsToTheTarget() async throws {
    try await withTestBed(options: .init(allowTcpForwarding: true)) { bed in
      let targetServer = try await bed.startAnotherServer(name: "sshd-b")
      var target = bed.target(server: targetServer)
      target.jumpHost = bed.target()
      let client = try await SSHClient.connect(target)
      #expect(client.hostKeyFingerprint == (try await targetServer.hostKeyFingerprint()))
      let result = try await client.run("echo through the jump; cat", stdin: Data(repeating: 7, count: 300_000))
      #expect(result.stdout.prefix(17) == Data("through the jump\n".utf8))
      #expect(result.stdout.count == 17 + 300_000)
      let path = bed.directory + "/via-jump.bin"
      let payload = Data((0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
      try await client.upload(payload, to: path, mode: 0o600)
      #expect(FileManager.default.contents(atPath: path) == payload)
      await client.close()
    }
  }

  @Test func jumpHostThatForbidsForwardingFailsClearly() async throws {
    try await withTestBed(options: .init(allowTcpForwarding: false)) { bed in
      let targetServer = try await bed.startAnotherServer(name: "sshd-b")
      var target = bed.target(server: targetServer)
      target.jumpHost = bed.target()
      do {
        _ = try await SSHClient.connect(target)
        Issue.record("the jump host forbids forwarding")
      } catch let error as SSHError {
        guard case .jumpHostFailed(let jump, let to, _) = error else {
          Issue.record("unexpected error \(error)")
          return
        }
        #expect(jump == "root@127.0.0.1:\(bed.sshd.port)")
        #expect(to == "127.0.0.1:\(targetServer.port)")
        #expect(error.description.contains("AllowTcpForwarding yes"))
      }
    }
  }

  @Test func targetDescriptionAndMirrorNeverShowSecrets() {
    let target = SSHTarget(
      host: "db1", user: "ops", identityFiles: [], keyPassphrase: "kp-secret", password: "pw-secret",
      jumpHost: SSHTarget(host: "bastion", user: "ops", identityFiles: []), sudo: .password("sudo-secret"))
    var dumped = ""
    dump(target, to: &dumped)
    let texts = [target.description, dumped, "\(target)", String(reflecting: target)]
    for text in texts {
      #expect(!text.contains("secret"))
    }
    #expect(target.description == "ops@db1:22 via ops@bastion:22")
  }
}
}
