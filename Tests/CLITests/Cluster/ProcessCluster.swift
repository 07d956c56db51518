import Foundation
import Testing
import TestSupport

/// A cluster of real server processes (etcd 3.4 or swetcd, see `ClusterServer`), each member in a network
/// namespace of its own on one bridge (`NamespaceNetwork`), started from an ETCD_* environment file written like
/// the seeds' /etc/etcd/etcd.conf and passed as the process environment (no flags). Members are stopped, killed and
/// restarted by PID; `etcdctl` (API 3) runs from the test against their client URLs. `shutdown()` stops every
/// process by PID and removes the namespaces and the folder; use `ProcessCluster.with` so that also happens when
/// the test fails.
final class ProcessCluster: @unchecked Sendable {
  static let clientPort = 2379
  static let peerPort = 2380
  static let heartbeatMilliseconds = 100
  static let electionMilliseconds = 1000

  let server: ClusterServer
  let network: NamespaceNetwork
  let directory: String
  /// ETCD_INITIAL_CLUSTER_TOKEN of the members this cluster bootstraps.
  let token: String
  let snapshotCount: Int
  private let lock = NSLock()
  private var all: [ClusterMember] = []
  private var isShutDown = false

  /// Every member made so far, in creation order.
  var members: [ClusterMember] { lock.withLock { all } }
  var runningMembers: [ClusterMember] { members.filter(\.isRunning) }

  init(server: ClusterServer, token: String, snapshotCount: Int) throws {
    self.server = server
    self.token = token
    self.snapshotCount = snapshotCount
    network = try NamespaceNetwork()
    directory = makeTemporaryDirectory("swetcd-cluster-\(server)")
  }

  deinit { shutdown() }

  /// Runs `body` with a fresh cluster of `count` members (infra0...) bootstrapped with state `new` and healthy
  /// (count 0: no member yet), then shuts everything down, also when `body` throws. A failure message gets the
  /// members' log tails.
  static func with<T: Sendable>(
    _ server: ClusterServer, members count: Int = 3, token: String? = nil, snapshotCount: Int = 10_000,
    _ body: (ProcessCluster) async throws -> T
  ) async throws -> T {
    let cluster = try await offPool {
      try ProcessCluster(server: server, token: token ?? "swetcd-ct-\(UUID().uuidString.prefix(8))",
                         snapshotCount: snapshotCount)
    }
    do {
      if count > 0 { try await cluster.bootstrap(count: count) }
      let result = try await body(cluster)
      _ = try? await offPool { cluster.shutdown() }
      return result
    } catch {
      let report = cluster.logReport()
      _ = try? await offPool { cluster.shutdown() }
      throw ClusterTestError("\(error)\n\(report)")
    }
  }

  // MARK: Members

  /// A new member slot: a namespace with its own address and a folder; nothing is started.
  func addMember(name: String) async throws -> ClusterMember {
    let host = try await offPool { try self.network.addHost() }
    let folder = "\(directory)/\(name)-\(host.address)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let member = ClusterMember(name: name, host: host, directory: folder, peerPort: Self.peerPort)
    lock.withLock { all.append(member) }
    return member
  }

  func member(_ name: String) throws -> ClusterMember {
    guard let member = members.last(where: { $0.name == name }) else { throw ClusterTestError("no member \(name)") }
    return member
  }

  /// Makes `count` members infra0..., writes their environment files (state new, one initial cluster) and starts
  /// them, then waits until every one is healthy.
  /// `extraEnvironment` adds variables to named members' processes (not to their files).
  @discardableResult
  func bootstrap(count: Int, extraEnvironment: [String: [String: String]] = [:]) async throws -> [ClusterMember] {
    var made: [ClusterMember] = []
    for index in 0..<count { made.append(try await addMember(name: "infra\(index)")) }
    let initialCluster = made.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
    for member in made { try writeEnvironmentFile(member, initialCluster: initialCluster, state: "new") }
    for member in made { try start(member, extraEnvironment: extraEnvironment[member.name] ?? [:]) }
    try await waitUntilHealthy(made)
    try await waitUntilListedAsStarted(made)
    return made
  }

  /// Waits until every member's own member list (served from its applied membership, not through a quorum) shows
  /// every member started, with its name and client URLs. Each member publishes them through Raft before it serves,
  /// but the others apply that entry on their own time, so a list read right after the last one turned healthy can
  /// lack them.
  func waitUntilListedAsStarted(_ members: [ClusterMember], within seconds: Double = 30) async throws {
    for member in members {
      var last: [MemberListReply.Member] = []
      let listed = try await eventually(within: seconds, every: .milliseconds(250)) {
        last = try await memberList(via: member).members
        return last.count == members.count
          && last.allSatisfy { $0.name?.isEmpty == false && $0.clientURLs?.isEmpty == false }
      }
      guard listed else {
        throw ClusterTestError("\(member) does not list every member as started within \(Int(seconds)) s: "
          + last.map { "\($0.name ?? "(unstarted)") \($0.clientURLs ?? [])" }.joined(separator: ", "))
      }
    }
  }

  /// Writes the member's ETCD_* file the way the seeds write /etc/etcd/etcd.conf (`KEY="value"` lines).
  func writeEnvironmentFile(
    _ member: ClusterMember, initialCluster: String, state: String, token: String? = nil, extra: [String: String] = [:]
  ) throws {
    var values: [(String, String)] = [
      ("ETCD_NAME", member.name),
      ("ETCD_DATA_DIR", member.dataDirectory),
      ("ETCD_LISTEN_PEER_URLS", member.peerURL),
      ("ETCD_LISTEN_CLIENT_URLS", member.clientURL),
      ("ETCD_INITIAL_ADVERTISE_PEER_URLS", member.peerURL),
      ("ETCD_ADVERTISE_CLIENT_URLS", member.clientURL),
      ("ETCD_INITIAL_CLUSTER", initialCluster),
      ("ETCD_INITIAL_CLUSTER_TOKEN", token ?? self.token),
      ("ETCD_INITIAL_CLUSTER_STATE", state),
      ("ETCD_HEARTBEAT_INTERVAL", String(Self.heartbeatMilliseconds)),
      ("ETCD_ELECTION_TIMEOUT", String(Self.electionMilliseconds)),
      ("ETCD_SNAPSHOT_COUNT", String(snapshotCount)),
      ("ETCD_LOGGER", "zap"),
      ("ETCD_LOG_OUTPUTS", "stderr"),
    ]
    values += extra.sorted { $0.key < $1.key }
    let text = "# \(member.name): written by ProcessCluster\n"
      + values.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: "\n") + "\n"
    try text.write(toFile: member.environmentFile, atomically: true, encoding: .utf8)
  }

  /// Starts the member from its environment file (plus `extraEnvironment`, e.g. ETCD_FORCE_NEW_CLUSTER or
  /// libfaketime's variables) inside its namespace. Returns at once; wait with `waitUntilHealthy`/`waitUntilServing`.
  /// `server` overrides the cluster's server for this run (same files, same data directory).
  func start(_ member: ClusterMember, as server: ClusterServer? = nil, extraEnvironment: [String: String] = [:]) throws {
    let binary = (server ?? self.server).binary
    var environment = try parseEnvironmentFile(member.environmentFile)
    environment["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin"
    environment.merge(extraEnvironment) { $1 }
    let command = network.commandPrefix(for: member.host) + [binary]
    let process = try ChildProcess.startLogged(command[0], Array(command.dropFirst()), logPath: member.nextLogPath(),
                                               environment: environment)
    member.attach(process)
  }

  /// Stops every process by PID, removes the namespaces and the folder. Blocking; idempotent.
  func shutdown() {
    let stopping: [ClusterMember]? = lock.withLock {
      guard !isShutDown else { return nil }
      isShutDown = true
      return all
    }
    guard let stopping else { return }
    for member in stopping { if let pid = member.pid, member.isRunning { kill(pid, SIGTERM) } }
    for member in stopping { member.stopNow() }
    network.remove()
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// The last lines every member logged, for a failure message.
  func logReport(lines: Int = 25) -> String {
    members.map { member in
      let tail = member.log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
      return "--- \(member) pid \(member.pid.map(String.init) ?? "-") running \(member.isRunning) log tail:\n"
        + tail.joined(separator: "\n")
    }.joined(separator: "\n")
  }
}

/// Reads an environment file: `KEY="value"` / `KEY=value` lines, as systemd's EnvironmentFile does.
func parseEnvironmentFile(_ path: String) throws -> [String: String] {
  parseEnvironment(try String(contentsOfFile: path, encoding: .utf8))
}

/// The `KEY="value"` / `KEY=value` lines of `text` (other lines, comments and blank lines skipped): an environment
/// file, or the variables `etcdctl member add` prints.
func parseEnvironment(_ text: String) -> [String: String] {
  var values: [String: String] = [:]
  for line in text.split(separator: "\n") {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "="),
          !trimmed[..<equals].contains(" ") else { continue }
    var value = trimmed[trimmed.index(after: equals)...]
    if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
    values[String(trimmed[..<equals])] = String(value)
  }
  return values
}

/// A cluster test's failure, with what happened and the members' logs.
struct ClusterTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
