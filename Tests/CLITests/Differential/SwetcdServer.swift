import Foundation
import TestSupport

/// TLS files for a server under test, made with Sources/PKI (see `TestCertificates`).
struct ServerTLS: Sendable {
  var caFile: String
  var certFile: String
  var keyFile: String
  var clientCertFile: String
  var clientKeyFile: String
}

/// The real `swetcd` process, a single member on loopback in a temp dir of its own, stopped by PID.
final class SwetcdServer: @unchecked Sendable {
  let directory: String
  let clientURL: String
  let peerURL: String
  private let process: LoggedProcess

  var pid: Int32 { process.pid }
  var log: String { process.output }

  /// Starts `swetcd` (etcd's flags; TLS on the client port when `tls` is given, with --client-cert-auth) and waits
  /// until it serves.
  static func start(tls: ServerTLS? = nil, extraArguments: [String] = []) async throws -> SwetcdServer {
    try await offPool { try SwetcdServer(tls: tls, extraArguments: extraArguments) }
  }

  private init(tls: ServerTLS?, extraArguments: [String]) throws {
    directory = makeTemporaryDirectory("swetcd-compat")
    clientURL = "\(tls == nil ? "http" : "https")://127.0.0.1:\(freeTCPPort())"
    peerURL = "http://127.0.0.1:\(freeTCPPort())"
    var flags = [
      "--name", "infra0", "--data-dir", directory + "/data", "--listen-client-urls", clientURL,
      "--advertise-client-urls", clientURL, "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
      "--initial-cluster", "infra0=\(peerURL)", "--initial-cluster-token", "swetcd-test",
    ]
    if let tls {
      flags += ["--cert-file", tls.certFile, "--key-file", tls.keyFile, "--trusted-ca-file", tls.caFile,
                "--client-cert-auth"]
    }
    process = try ChildProcess.startLogged(ChildProcess.product("swetcd"), flags + extraArguments,
                                           logPath: directory + "/swetcd.log")
    guard process.waitForOutput(containing: "ready to serve client requests", timeout: 30) else {
      let log = process.output
      stop()
      throw RealEtcdError("swetcd did not become ready within 30 s; its log ends:\n\(log.suffix(2000))")
    }
  }

  deinit { stop() }

  /// SIGTERM, then SIGKILL after 10 s, by PID; removes the directory. Idempotent.
  func stop() {
    process.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Stops the server without blocking the concurrency pool.
  func stopped() async {
    _ = try? await offPool { self.stop() }
  }
}
