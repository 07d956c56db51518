import Foundation

/// TLS files for a real etcd under test.
public struct EtcdTLSFiles: Sendable {
  public var caFile: String
  public var serverCertFile: String
  public var serverKeyFile: String
  public var clientCertAuth: Bool
  public init(caFile: String, serverCertFile: String, serverKeyFile: String, clientCertAuth: Bool) {
    self.caFile = caFile
    self.serverCertFile = serverCertFile
    self.serverKeyFile = serverKeyFile
    self.clientCertAuth = clientCertAuth
  }
}

/// A real etcd 3.4 (Debian etcd-server) member on loopback, started as a child process and stopped by PID.
public final class RealEtcd: @unchecked Sendable {
  public static let binary = ChildProcess.which("etcd")
  public static let etcdctl = ChildProcess.which("etcdctl")
  public static var isInstalled: Bool { binary != nil && etcdctl != nil }

  public let name: String
  public let directory: String
  public let clientURL: String
  public let peerURL: String
  private let process: LoggedProcess
  private var stopped = false

  public var pid: Int32 { process.pid }
  public var logPath: String { process.logPath }

  /// Starts a single-member cluster and waits until `etcdctl endpoint health` succeeds (20 s deadline).
  public init(name: String = "infra0", tls: EtcdTLSFiles? = nil, extraArguments: [String] = []) throws {
    guard let binary = Self.binary else { throw RealEtcdError("etcd is not installed; run scripts/setup (Debian etcd-server)") }
    self.name = name
    directory = makeTemporaryDirectory("real-etcd")
    let scheme = tls == nil ? "http" : "https"
    clientURL = "\(scheme)://127.0.0.1:\(freeTCPPort())"
    peerURL = "http://127.0.0.1:\(freeTCPPort())"
    var arguments = Self.memberArguments(
      name: name, dataDirectory: "\(directory)/data", clientURL: clientURL, peerURL: peerURL,
      initialCluster: "\(name)=\(peerURL)", state: "new", token: "swetcd-test")
    if let tls {
      arguments += ["--cert-file", tls.serverCertFile, "--key-file", tls.serverKeyFile, "--trusted-ca-file", tls.caFile]
      if tls.clientCertAuth { arguments.append("--client-cert-auth") }
    }
    process = try ChildProcess.startLogged(binary, arguments + extraArguments, logPath: "\(directory)/etcd.log",
                                           environment: ["PATH": "/usr/bin:/bin"])
    try waitUntilHealthy(tls: tls)
  }

  deinit { stop() }

  /// Starts a member without blocking the concurrency pool (see `offPool`).
  public static func start(name: String = "infra0", tls: EtcdTLSFiles? = nil, extraArguments: [String] = []) async throws -> RealEtcd {
    try await offPool { try RealEtcd(name: name, tls: tls, extraArguments: extraArguments) }
  }

  /// Stops the member without blocking the concurrency pool.
  public func stopped() async {
    _ = try? await offPool { self.stop() }
  }

  /// The flags of one loopback member (shared with `RealEtcdCluster`).
  static func memberArguments(
    name: String, dataDirectory: String, clientURL: String, peerURL: String, initialCluster: String, state: String,
    token: String
  ) -> [String] {
    [
      "--name", name, "--data-dir", dataDirectory,
      "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
      "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
      "--initial-cluster", initialCluster, "--initial-cluster-state", state, "--initial-cluster-token", token,
      "--logger", "zap", "--log-outputs", "stderr",
    ]
  }

  /// etcdctl arguments that reach this member (endpoint plus TLS flags when it uses TLS).
  public func etcdctlArguments(tls: EtcdTLSFiles?, clientCert: (cert: String, key: String)? = nil) -> [String] {
    var arguments = ["--endpoints=\(clientURL)", "--dial-timeout=2s", "--command-timeout=5s"]
    if let tls { arguments.append("--cacert=\(tls.caFile)") }
    if let clientCert { arguments += ["--cert=\(clientCert.cert)", "--key=\(clientCert.key)"] }
    return arguments
  }

  private func waitUntilHealthy(tls: EtcdTLSFiles?) throws {
    // With client-cert-auth, health needs a client certificate; the caller checks health itself then.
    if tls?.clientCertAuth == true {
      // etcd 3.4.23's zap logger says this once a TLS client listener serves (no "ready to serve" line then).
      if process.waitForOutput(containing: "serving client traffic securely", timeout: 20) { return }
    } else {
      let child = process.process
      if try Self.pollEtcdctl(etcdctlArguments(tls: tls) + ["endpoint", "health"], timeout: 20, while: { child.isRunning }) {
        return
      }
    }
    let log = process.output
    stop()
    throw RealEtcdError("etcd did not become healthy within 20 s; its log ends:\n\(log.suffix(2000))")
  }

  /// Runs `etcdctl arguments` every 200 ms until it exits 0 (true), or `running()` turns false or `timeout`
  /// seconds pass (false). Blocking: call through `offPool`.
  static func pollEtcdctl(_ arguments: [String], timeout: Double, while running: () -> Bool) throws -> Bool {
    guard let etcdctl else { throw RealEtcdError("etcdctl is not installed; run scripts/setup") }
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline, running() {
      if try ChildProcess.run(etcdctl, arguments, environment: ["ETCDCTL_API": "3"], timeout: 10).status == 0 { return true }
      usleep(200_000)
    }
    return false
  }

  /// Stops the member (SIGTERM, then SIGKILL after 10 s) and removes its directory. Idempotent.
  public func stop() {
    guard !stopped else { return }
    stopped = true
    process.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }
}

public struct RealEtcdError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
