import Foundation

/// One etcd 3.4 process of a `RealEtcdCluster` (plaintext, loopback), stopped by PID.
public final class RealEtcdMemberProcess: @unchecked Sendable {
  public let name: String
  public let clientURL: String
  public let peerURL: String
  public let dataDirectory: String
  private let process: LoggedProcess

  init(name: String, clientURL: String, peerURL: String, dataDirectory: String, process: LoggedProcess) {
    self.name = name
    self.clientURL = clientURL
    self.peerURL = peerURL
    self.dataDirectory = dataDirectory
    self.process = process
  }

  public var pid: Int32 { process.pid }
  public var logPath: String { process.logPath }
  /// Everything the member has logged so far.
  public var log: String { process.output }
  public var isRunning: Bool { process.process.isRunning }

  /// Blocks until the process has exited (true) or `timeout` seconds pass (false); call through `offPool`.
  public func waitForExit(timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while process.process.isRunning, Date() < deadline { usleep(50_000) }
    return !process.process.isRunning
  }

  func signalStop() {
    if process.process.isRunning { kill(process.pid, SIGTERM) }
  }

  /// SIGTERM, then SIGKILL after 10 s; waits for the exit. Idempotent.
  public func stop() { process.stop() }
}

/// N real etcd 3.4 members on loopback (free ports, one temp directory, plaintext), started together as one new
/// cluster; more members can join later (`startJoiningMember`). Every process is stopped by PID in `stop()`.
public final class RealEtcdCluster: @unchecked Sendable {
  public let directory: String
  /// The `--initial-cluster-token` of this cluster (unique per cluster).
  public let token: String
  /// `--initial-cluster` of the members started together (`name=peerURL,...`).
  public let initialCluster: String
  private let lock = NSLock()
  private var processes: [RealEtcdMemberProcess] = []
  private var stopped = false

  /// Every member process started so far, the initial ones first, in start order.
  public var members: [RealEtcdMemberProcess] { lock.withLock { processes } }
  public var names: [String] { members.map(\.name) }
  public var clientURLs: [String] { members.map(\.clientURL) }
  public var peerURLs: [String] { members.map(\.peerURL) }

  public func member(named name: String) -> RealEtcdMemberProcess? { members.first { $0.name == name } }

  /// Starts `count` members named infra0, infra1, ... and waits until `etcdctl endpoint health` passes on all
  /// of them (30 s deadline). Blocking: from async code use `start(count:)`.
  public init(count: Int = 3) throws {
    guard let binary = RealEtcd.binary else { throw RealEtcdError("etcd is not installed; run scripts/setup (Debian etcd-server)") }
    precondition(count > 0, "a cluster needs at least one member")
    directory = makeTemporaryDirectory("real-etcd-cluster")
    token = "swetcd-test-\(UUID().uuidString.prefix(8))"
    let names = (0..<count).map { "infra\($0)" }
    let peers = names.map { _ in "http://127.0.0.1:\(freeTCPPort())" }
    initialCluster = zip(names, peers).map { "\($0)=\($1)" }.joined(separator: ",")
    do {
      for (name, peer) in zip(names, peers) {
        processes.append(try launch(binary: binary, name: name, peerURL: peer, initialCluster: initialCluster, state: "new"))
      }
      try waitUntilHealthy(endpoints: processes.map(\.clientURL), timeout: 30)
    } catch {
      stop()
      throw error
    }
  }

  deinit { stop() }

  /// Starts the cluster without blocking the concurrency pool (see `offPool`).
  public static func start(count: Int = 3) async throws -> RealEtcdCluster {
    try await offPool { try RealEtcdCluster(count: count) }
  }

  /// A loopback peer URL on a currently free port, for a member about to be added.
  public func newPeerURL() -> String { "http://127.0.0.1:\(freeTCPPort())" }

  /// Starts a member that joins this running cluster (`--initial-cluster-state existing`, empty data directory),
  /// after it was announced with MemberAdd. Its peer URL is its own entry in `initialCluster` (the value built from
  /// the MemberAdd response, `name=peerURL,...`). Waits until its client port answers `etcdctl endpoint status`
  /// (30 s deadline), which a learner does too.
  public func startJoiningMember(name: String, initialCluster: String) async throws -> RealEtcdMemberProcess {
    try await offPool { try self.joinMember(name: name, initialCluster: initialCluster) }
  }

  private func joinMember(name: String, initialCluster: String) throws -> RealEtcdMemberProcess {
    guard let binary = RealEtcd.binary else { throw RealEtcdError("etcd is not installed") }
    let own = initialCluster.split(separator: ",").first { $0.hasPrefix("\(name)=") }
    guard let own else { throw RealEtcdError("\(name) is not in the initial cluster \(initialCluster)") }
    let peerURL = String(own.dropFirst(name.count + 1))
    let member = try launch(binary: binary, name: name, peerURL: peerURL, initialCluster: initialCluster, state: "existing")
    lock.withLock { processes.append(member) }
    try waitForEtcdctl(["endpoint", "status"], endpoints: [member.clientURL], timeout: 30, running: { member.isRunning }) {
      "\(name) did not start serving within 30 s; its log ends:\n\(member.log.suffix(2000))"
    }
    return member
  }

  private func launch(binary: String, name: String, peerURL: String, initialCluster: String, state: String) throws -> RealEtcdMemberProcess {
    let clientURL = "http://127.0.0.1:\(freeTCPPort())"
    let dataDirectory = "\(directory)/\(name).etcd"
    let arguments = RealEtcd.memberArguments(
      name: name, dataDirectory: dataDirectory, clientURL: clientURL, peerURL: peerURL,
      initialCluster: initialCluster, state: state, token: token)
    let process = try ChildProcess.startLogged(binary, arguments, logPath: "\(directory)/\(name).log",
                                               environment: ["PATH": "/usr/bin:/bin"])
    return RealEtcdMemberProcess(name: name, clientURL: clientURL, peerURL: peerURL, dataDirectory: dataDirectory, process: process)
  }

  /// Blocks until `etcdctl endpoint health` passes on every endpoint given; call through `offPool`.
  public func waitUntilHealthy(endpoints: [String]? = nil, timeout: Double = 30) throws {
    let endpoints = endpoints ?? clientURLs
    try waitForEtcdctl(["endpoint", "health"], endpoints: endpoints, timeout: timeout, running: { true }) {
      "the cluster did not become healthy within \(Int(timeout)) s; logs end:\n"
        + self.members.map { "--- \($0.name)\n\($0.log.suffix(1200))" }.joined(separator: "\n")
    }
  }

  private func waitForEtcdctl(
    _ command: [String], endpoints: [String], timeout: Double, running: () -> Bool, failure: () -> String
  ) throws {
    let arguments = ["--endpoints=\(endpoints.joined(separator: ","))", "--dial-timeout=2s", "--command-timeout=5s"] + command
    if try RealEtcd.pollEtcdctl(arguments, timeout: timeout, while: running) { return }
    throw RealEtcdError(failure())
  }

  /// Stops every member (SIGTERM to all, then waits; SIGKILL after 10 s) and removes the directory. Idempotent.
  public func stop() {
    let all: [RealEtcdMemberProcess]? = lock.withLock {
      guard !stopped else { return nil }
      stopped = true
      return processes
    }
    guard let all else { return }
    for member in all { member.signalStop() }
    for member in all { member.stop() }
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Stops the cluster without blocking the concurrency pool.
  public func stopped() async {
    _ = try? await offPool { self.stop() }
  }
}
