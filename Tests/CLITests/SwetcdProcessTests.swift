import Foundation
import Testing
import TestSupport

/// The swetcd executable as an operator runs it: etcd's flags, the real etcdctl and curl on the client port, and a
/// clean stop on SIGTERM.
@Suite struct SwetcdProcessTests {
  @Test func swetcdServesEtcdctlAndHTTPOnOnePortAndStopsOnSIGTERM() async throws {
    let directory = makeTemporaryDirectory("swetcd-process")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let client = "http://127.0.0.1:\(freeTCPPort())"
    let peer = "http://127.0.0.1:\(freeTCPPort())"
    let flags = [
      "--name", "infra0", "--data-dir", directory + "/data", "--listen-client-urls", client,
      "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
      "--initial-cluster", "infra0=\(peer)", "--unsafe-no-fsync",
    ]
    let server = try ChildProcess.startLogged(ChildProcess.product("swetcd"), flags, logPath: directory + "/swetcd.log")
    defer { server.stop() }
    let ready = try await offPool { server.waitForOutput(containing: "ready to serve client requests", timeout: 30) }
    try #require(ready, "\(server.output)")
    let etcdctl = try #require(ChildProcess.which("etcdctl"))
    let put = try await ChildProcess.runDetached(etcdctl, ["--endpoints=\(client)", "put", "greeting", "hello"],
                                                 environment: ["ETCDCTL_API": "3"])
    #expect(put.stdout == "OK\n", "\(put.stderr)")
    let get = try await ChildProcess.runDetached(etcdctl, ["--endpoints=\(client)", "get", "greeting", "--print-value-only"],
                                                 environment: ["ETCDCTL_API": "3"])
    #expect(get.stdout == "hello\n", "\(get.stderr)")
    let version = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", client + "/version"])
    #expect(version.stdout.hasPrefix("{\"etcdserver\":\"3.4."), "\(version.stdout)")
    let health = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", client + "/health"])
    #expect(health.stdout == "{\"health\":\"true\"}", "\(health.stdout)")
    let metrics = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", client + "/metrics"])
    #expect(metrics.stdout.contains("etcd_server_has_leader 1"), "\(metrics.stdout.prefix(400))")
    #expect(metrics.stdout.contains("\netcd_server_leader_changes_seen_total 1\n"), "\(metrics.stdout.prefix(2000))")
    #expect(metrics.stdout.contains("\netcd_server_proposals_pending 0\n"), "\(metrics.stdout.prefix(2000))")
    kill(server.pid, SIGTERM)
    let exited = await eventually(within: 20) { !server.process.isRunning }
    try #require(exited, "swetcd did not exit within 20 s of SIGTERM: \(server.output)")
    #expect(server.process.terminationStatus == 0, "\(server.output)")
    #expect(server.output.contains("stopped member"), "\(server.output)")
    // A restart on the same data dir finds the key.
    let again = try ChildProcess.startLogged(ChildProcess.product("swetcd"), flags, logPath: directory + "/swetcd2.log")
    defer { again.stop() }
    try #require(try await offPool { again.waitForOutput(containing: "ready to serve client requests", timeout: 30) },
                 "\(again.output)")
    let reread = try await ChildProcess.runDetached(etcdctl, ["--endpoints=\(client)", "get", "greeting", "--print-value-only"],
                                                    environment: ["ETCDCTL_API": "3"])
    #expect(reread.stdout == "hello\n", "\(reread.stderr)")
  }
}

/// swetcd as a packaged service runs it: as an unprivileged user (the deploy's `etcd` user; here `nobody`).
@Suite(.enabled(if: getuid() == 0, "needs root to start swetcd as another user"))
struct SwetcdUnprivilegedProcessTests {
  /// Regression: a socket option only root may set was applied to every accepted connection; its failure ended the
  /// listener, so an unprivileged member logged "ready to serve client requests" and then refused every client
  /// after the first connection.
  @Test func unprivilegedMemberKeepsServingConnectionAfterConnection() async throws {
    let directory = makeTemporaryDirectory("swetcd-unprivileged")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
    let client = "http://127.0.0.1:\(freeTCPPort())"
    let peer = "http://127.0.0.1:\(freeTCPPort())"
    let server = try ChildProcess.startLogged("/usr/bin/setpriv", [
      "--reuid=nobody", "--regid=nogroup", "--clear-groups", ChildProcess.product("swetcd"),
      "--name", "infra0", "--data-dir", directory + "/data", "--listen-client-urls", client,
      "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
      "--initial-cluster", "infra0=\(peer)", "--unsafe-no-fsync",
    ], logPath: directory + "/swetcd.log")
    defer { server.stop() }
    let ready = try await offPool { server.waitForOutput(containing: "ready to serve client requests", timeout: 30) }
    try #require(ready, "\(server.output)")
    let etcdctl = try #require(ChildProcess.which("etcdctl"))
    // Each etcdctl run is a new connection; so is each curl.
    for round in 0..<3 {
      let put = try await ChildProcess.runDetached(etcdctl, [
        "--endpoints=\(client)", "--dial-timeout=3s", "--command-timeout=5s", "put", "k\(round)", "v",
      ], environment: ["ETCDCTL_API": "3"])
      #expect(put.stdout == "OK\n", "round \(round): \(put.stderr)\n\(server.output.suffix(2000))")
      let health = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", "-m", "5", client + "/health"])
      #expect(health.stdout == "{\"health\":\"true\"}", "round \(round): \(health.stdout)")
    }
    #expect(server.process.isRunning, "\(server.output.suffix(2000))")
    #expect(!server.output.contains("listener failed"), "\(server.output.suffix(2000))")
  }
}
