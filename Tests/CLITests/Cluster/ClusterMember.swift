import Foundation
import TestSupport

/// One member of a `ProcessCluster`: a network namespace of its own (its own IP; client port 2379, peer port 2380
/// unless moved), a folder holding its ETCD_* environment file, its data directory and one log per run. Its process
/// is started, stopped and killed by PID through the cluster.
final class ClusterMember: @unchecked Sendable, CustomStringConvertible {
  let name: String
  let host: NamespaceHost
  /// The member's folder: `etcd.conf` (its ETCD_* file), `data/` (its data directory), `run<N>.log`.
  let directory: String
  private let lock = NSLock()
  private var _peerURL: String
  private var process: LoggedProcess?
  private var logPaths: [String] = []

  init(name: String, host: NamespaceHost, directory: String, peerPort: Int) {
    self.name = name
    self.host = host
    self.directory = directory
    _peerURL = "http://\(host.address):\(peerPort)"
  }

  var description: String { "\(name) (\(host.address))" }
  var dataDirectory: String { directory + "/data" }
  var environmentFile: String { directory + "/etcd.conf" }
  var clientURL: String { "http://\(host.address):\(ProcessCluster.clientPort)" }
  /// The URL it listens on and advertises for peers (changed by `movePeerURL`).
  var peerURL: String { lock.withLock { _peerURL } }
  func movePeerURL(port: Int) -> String {
    lock.withLock {
      _peerURL = "http://\(host.address):\(port)"
      return _peerURL
    }
  }

  var pid: Int32? { lock.withLock { process?.pid } }
  var isRunning: Bool { lock.withLock { process?.process.isRunning ?? false } }
  /// The exit status of the last run once it has exited (signal number when killed), else nil.
  var exitStatus: Int32? {
    lock.withLock {
      guard let process, !process.process.isRunning else { return nil }
      return process.process.terminationStatus
    }
  }

  /// Everything the member logged in every run, oldest first.
  var log: String {
    lock.withLock { logPaths }.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }.joined()
  }
  /// What the current (or last) run logged.
  var currentLog: String { lock.withLock { process?.output } ?? "" }

  /// When (and in which term) the member logged that it learned of a leader other than `excluded` (etcd's raft line
  /// "raft.node: <me> elected leader <id> at term <n>"; swetcd logs the same), at or after `since`. Both servers log zap JSON with
  /// millisecond timestamps, so a failover is timed by the servers, not by how fast a client notices.
  func leaderElected(since: Date, excluding excluded: UInt64) -> (at: Date, term: UInt64)? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let excludedLine = " elected leader \(String(excluded, radix: 16)) at term"
    for line in log.split(separator: "\n") where line.contains("\"raft.node: ") && line.contains(" elected leader ")
      && !line.contains(excludedLine)
    {
      guard let start = line.range(of: "\"ts\":\""), let end = line[start.upperBound...].firstIndex(of: "\""),
            let date = formatter.date(from: String(line[start.upperBound..<end])), date >= since,
            let termStart = line.range(of: " at term "),
            let term = UInt64(line[termStart.upperBound...].prefix { $0.isNumber })
      else { continue }
      return (date, term)
    }
    return nil
  }

  func nextLogPath() -> String {
    lock.withLock {
      let path = "\(directory)/run\(logPaths.count + 1).log"
      logPaths.append(path)
      return path
    }
  }

  func attach(_ newProcess: LoggedProcess) {
    lock.withLock {
      precondition(process?.process.isRunning != true, "\(name) is already running")
      process = newProcess
    }
  }

  /// SIGTERM (SIGKILL after `grace` s) and the wait, on a thread of its own.
  func stop(grace: Double = 10) async {
    await lock.withLock { process }?.stopped(grace: grace)
  }

  /// SIGKILL and the wait for the exit, on a thread of its own.
  func kill9() async {
    guard let process = lock.withLock({ process }) else { return }
    if process.process.isRunning { kill(process.pid, SIGKILL) }
    _ = try? await offPool { process.process.waitUntilExit() }
  }

  /// Blocking stop for the cluster's final clean-up.
  func stopNow() { lock.withLock { process }?.stop(grace: 5) }

  /// Deletes the data directory (the member's state; its logs stay).
  func clearDataDirectory() throws {
    precondition(!isRunning, "clear the data directory of a stopped member only")
    if FileManager.default.fileExists(atPath: dataDirectory) { try FileManager.default.removeItem(atPath: dataDirectory) }
  }
}
