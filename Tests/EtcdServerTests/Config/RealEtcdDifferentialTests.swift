import EtcdServer
import Foundation
import Testing
import TestSupport

/// Runs the real etcd 3.4.23 with bad input and checks that our loader fails the same way: same exit status, same
/// message line. Every case makes etcd exit at once (each run also has a short kill timeout).
@Suite(.enabled(if: ChildProcess.which("etcd") != nil, "needs the real etcd 3.4.23 on PATH"))
struct RealEtcdDifferentialTests {
  struct Case: Sendable, CustomStringConvertible {
    var arguments: [String]
    var environment: [String: String] = [:]
    var yaml: String?
    /// Whether our side must also run the start-up checks (etcd fails these while starting, not while parsing).
    var startup = false
    var description: String { (environment.map { "\($0)=\($1)" }.sorted() + arguments).joined(separator: " ") }
  }

  static let cases: [Case] = [
    Case(arguments: ["--bogus"]),
    Case(arguments: ["--name"]),
    Case(arguments: ["--heartbeat-interval=abc"]),
    Case(arguments: ["--strict-reconfig-check=maybe"]),
    Case(arguments: ["--listen-client-urls=http://127.0.0.1"]),
    Case(arguments: ["extra"]),
    Case(arguments: ["--election-timeout=200"]),
    Case(arguments: ["--election-timeout=60000"]),
    Case(arguments: ["--listen-client-urls=http://127.0.0.1:2379"]),
    Case(arguments: ["--logger=foo"]),
    Case(arguments: ["--discovery=http://x/y", "--initial-cluster=a=http://127.0.0.1:2380"]),
    Case(arguments: ["--name=y"], environment: ["ETCD_NAME": "x"]),
    Case(arguments: [], environment: ["ETCD_HEARTBEAT_INTERVAL": "abc"]),
    Case(arguments: [], yaml: "heartbeat-interval: abc\n"),
    Case(arguments: [], yaml: "client-transport-security:\n  cert-file: 5\n"),
    Case(arguments: [], yaml: "listen-client-urls: foo\n"),
    Case(arguments: ["--initial-cluster=default=http://127.0.0.1:9999"], startup: true),
    Case(arguments: ["--initial-cluster=other=http://127.0.0.1:1"], startup: true),
    Case(arguments: [], yaml: "election-timeout: -5\n"),
    Case(arguments: [], yaml: "grpc-keepalive-min-time: 5s\n"),
    Case(arguments: [], yaml: "initial-cluster-state: maybe\n"),
    Case(arguments: [], environment: ["ETCD_STRICT_RECONFIG_CHECK": "maybe"]),
    Case(arguments: ["--max-wals=99999999999999999999"]),
    Case(arguments: ["--listen-client-urls=127.0.0.1:1"]),
    Case(arguments: ["--advertise-client-urls=http://:1"]),
  ]

  /// The message line of an etcd run: Go flag errors are the first stderr line; otherwise the first error or fatal
  /// log line, without etcd's "error verifying flags, " wrapping.
  static func messageLine(_ stderr: String) -> String {
    let lines = stderr.split(separator: "\n").map(String.init)
    guard let first = lines.first else { return "" }
    if !first.contains(" | ") && !first.hasPrefix("[WARNING]") { return first }
    guard let line = lines.first(where: { $0.contains(" E | ") || $0.contains(" C | ") }),
          let start = line.range(of: ": ", range: line.range(of: " | ")!.upperBound..<line.endIndex) else { return "" }
    var message = String(line[start.upperBound...])
    if message.hasPrefix("error verifying flags, ") { message.removeFirst("error verifying flags, ".count) }
    if message.hasSuffix(". See 'etcd --help'.") { message.removeLast(". See 'etcd --help'.".count) }
    return message
  }

  @Test(arguments: cases)
  func ourErrorMatchesRealEtcd(_ testCase: Case) async throws {
    let dir = makeTemporaryDirectory("swetcd-config-diff")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var arguments = testCase.arguments
    if let yaml = testCase.yaml {
      try yaml.write(toFile: dir + "/etcd.yml", atomically: true, encoding: .utf8)
      arguments.append("--config-file=\(dir)/etcd.yml")
    }
    if testCase.startup {
      let peer = freeTCPPort(), client = freeTCPPort()
      arguments += ["--data-dir=\(dir)/data", "--listen-peer-urls=http://127.0.0.1:\(peer)",
                    "--initial-advertise-peer-urls=http://127.0.0.1:\(peer)",
                    "--listen-client-urls=http://127.0.0.1:\(client)", "--advertise-client-urls=http://127.0.0.1:\(client)"]
    }
    let etcdPath = try #require(ChildProcess.which("etcd"))
    let environment = testCase.environment.merging(["PATH": "/usr/bin:/bin", "HOME": dir]) { a, _ in a }
    let real = try await ChildProcess.runDetached(etcdPath, arguments, environment: environment, timeout: 10)
    let expected = Self.messageLine(real.stderr)
    #expect(!expected.isEmpty, "no message found in etcd's output: \(real.stderr)")

    var ours: ConfigurationError?
    do {
      let loaded = try ServerConfiguration.load(arguments: arguments, environment: environment)
      if testCase.startup { try loaded.configuration.verifyStartup(memberInitialized: false) }
    } catch {
      ours = error
    }
    let error = try #require(ours, "etcd failed with \(expected) but we accepted the configuration")
    #expect(error.description == expected)
    #expect(error.exitStatus == real.status)
  }
}
