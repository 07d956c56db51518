import Foundation
import Testing
import TestSupport

/// One etcdctl run, normalised (see `Normaliser`): comparable between swetcd and etcd.
struct Outcome: Equatable, CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String
  var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// One side of a comparison: a server, the etcdctl flags that reach it, and how to normalise its output.
struct Side: Sendable {
  var name: String
  var clientURL: String
  var etcdctlFlags: [String]
  var normaliser = Normaliser()
  /// A scratch directory of the side (snapshot files, watch logs).
  var directory: String

  var endpoint: String { clientURL.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "") }

  /// Runs etcdctl against this side, raw.
  func raw(_ arguments: [String], input: String? = nil) async throws -> EtcdctlOutput {
    try await Etcdctl.run(etcdctlFlags + arguments, input: input)
  }

  /// Runs etcdctl against this side and normalises what it printed.
  func run(_ arguments: [String], input: String? = nil, ignoring: Set<String> = []) async throws -> Outcome {
    let out = try await raw(arguments, input: input)
    return Outcome(status: out.status, stdout: normaliser.normalise(out.stdout, ignoring: ignoring),
                   stderr: normaliser.normalise(out.stderr, ignoring: ignoring))
  }

  /// Starts a long-running etcdctl (watch, elect -l) against this side; output in this side's directory.
  func start(_ arguments: [String], log: String, input: String? = nil) throws -> BackgroundEtcdctl {
    try Etcdctl.start(etcdctlFlags + arguments, logPath: "\(directory)/\(log)", input: input)
  }

  /// Learns the member and cluster IDs from `endpoint status -w json` and registers the placeholders.
  mutating func learnIdentity(peerURL: String) async throws {
    normaliser.replace(peerURL, with: "<peer-url>")
    let status = try await raw(["endpoint", "status", "-w", "json"])
    guard status.status == 0, let member = Self.number("member_id", in: status.stdout),
          let cluster = Self.number("cluster_id", in: status.stdout) else {
      throw RealEtcdError("\(name): endpoint status failed: \(status.stdout)\(status.stderr)")
    }
    normaliser.identify(member, as: "member")
    normaliser.identify(cluster, as: "cluster")
    normaliser.replace(clientURL, with: "<client-url>")
    normaliser.replace(endpoint, with: "<endpoint>")
    normaliser.replace(directory, with: "<dir>")
  }

  /// The unsigned number after `"field":` in JSON text (IDs overflow Double, so not through JSONSerialization).
  static func number(_ field: String, in text: String) -> UInt64? {
    guard let range = text.range(of: "\"\(field)\":") else { return nil }
    return UInt64(text[range.upperBound...].prefix { $0.isNumber })
  }
}

/// swetcd and the real etcd 3.4.23 side by side, both started empty, driven with the same etcdctl commands.
final class ServerPair: @unchecked Sendable {
  @TaskLocal static var current: ServerPair?

  let swetcd: SwetcdServer
  let etcd: RealEtcd
  var ours: Side
  var theirs: Side
  private let scratch: String

  private init(swetcd: SwetcdServer, etcd: RealEtcd, tls: ServerTLS?) {
    self.swetcd = swetcd
    self.etcd = etcd
    scratch = makeTemporaryDirectory("etcdctl-diff")
    var tlsFlags: [String] = []
    if let tls { tlsFlags = ["--cacert=\(tls.caFile)", "--cert=\(tls.clientCertFile)", "--key=\(tls.clientKeyFile)"] }
    let common = ["--dial-timeout=3s", "--command-timeout=5s"] + tlsFlags
    ours = Side(name: "swetcd", clientURL: swetcd.clientURL, etcdctlFlags: ["--endpoints=\(swetcd.clientURL)"] + common,
                directory: scratch + "/swetcd")
    theirs = Side(name: "etcd", clientURL: etcd.clientURL, etcdctlFlags: ["--endpoints=\(etcd.clientURL)"] + common,
                  directory: scratch + "/etcd")
    try? FileManager.default.createDirectory(atPath: ours.directory, withIntermediateDirectories: true)
    try? FileManager.default.createDirectory(atPath: theirs.directory, withIntermediateDirectories: true)
  }

  /// Starts both servers (TLS with --client-cert-auth when `tls` is given) and learns their IDs.
  static func start(tls: ServerTLS? = nil) async throws -> ServerPair {
    async let ours = SwetcdServer.start(tls: tls)
    let etcdTLS = tls.map { EtcdTLSFiles(caFile: $0.caFile, serverCertFile: $0.certFile, serverKeyFile: $0.keyFile,
                                         clientCertAuth: true) }
    async let theirs = RealEtcd.start(tls: etcdTLS)
    let pair = ServerPair(swetcd: try await ours, etcd: try await theirs, tls: tls)
    try await pair.ours.learnIdentity(peerURL: pair.swetcd.peerURL)
    try await pair.theirs.learnIdentity(peerURL: pair.etcd.peerURL)
    return pair
  }

  /// Stops both servers by PID and removes their directories.
  func stop() async {
    await swetcd.stopped()
    await etcd.stopped()
    try? FileManager.default.removeItem(atPath: scratch)
  }

  /// Runs the same etcdctl command against both servers (one after the other) and returns the normalised outputs.
  /// `sides` replaces the pair's own sides (copies with extra placeholders, e.g. a test's lease IDs).
  func both(_ arguments: [String], input: String? = nil, ignoring: Set<String> = [], sides: (Side, Side)? = nil)
    async throws -> (ours: Outcome, theirs: Outcome)
  {
    let (mine, real) = sides ?? (ours, theirs)
    let a = try await mine.run(arguments, input: input, ignoring: ignoring)
    let b = try await real.run(arguments, input: input, ignoring: ignoring)
    return (a, b)
  }

  /// Runs the command against both and expects the same normalised output and exit status.
  @discardableResult
  func expectSame(_ arguments: [String], input: String? = nil, ignoring: Set<String> = [], sides: (Side, Side)? = nil,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> Outcome {
    let (a, b) = try await both(arguments, input: input, ignoring: ignoring, sides: sides)
    #expect(a == b, "etcdctl \(arguments.joined(separator: " "))\n--- swetcd:\n\(a)\n--- etcd 3.4.23:\n\(b)",
            sourceLocation: sourceLocation)
    return b
  }

  /// Runs a command built for each side (e.g. naming that side's lease) against both and expects the same output;
  /// `unordered` compares the outputs' words as sets (etcd prints some lists in Go map order).
  func expectSame(sides: (Side, Side), ignoring: Set<String> = [], unordered: Bool = false,
                  sourceLocation: SourceLocation = #_sourceLocation, _ command: (Side) -> [String]) async throws {
    let a = try await sides.0.run(command(sides.0), ignoring: ignoring)
    let b = try await sides.1.run(command(sides.1), ignoring: ignoring)
    let same = unordered ? (a.status == b.status && a.words == b.words) : a == b
    #expect(same, "etcdctl \(command(sides.1).joined(separator: " "))\n--- swetcd:\n\(a)\n--- etcd 3.4.23:\n\(b)",
            sourceLocation: sourceLocation)
  }
}

extension Outcome {
  /// The words of stdout and stderr, sorted (for outputs whose order the server does not define).
  var words: [Substring] {
    (stdout + "\n" + stderr).split { " ,[]{}\n:".contains($0) }.sorted()
  }
}

/// Starts one server pair for a whole suite (the trait is not recursive: one scope around every test in it).
struct ServerPairTrait: SuiteTrait, TestScoping {
  var tls: Bool
  var isRecursive: Bool { false }

  func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
    async throws
  {
    let certificates = tls ? try TestCertificates.make() : nil
    let pair = try await ServerPair.start(tls: certificates?.files)
    do {
      try await ServerPair.$current.withValue(pair) { try await function() }
    } catch {
      await pair.stop()
      certificates?.remove()
      throw error
    }
    await pair.stop()
    certificates?.remove()
  }
}

extension Trait where Self == ServerPairTrait {
  /// swetcd and etcd 3.4.23 started once for the suite; tests reach them through `ServerPair.current`.
  static func serverPair(tls: Bool = false) -> Self { ServerPairTrait(tls: tls) }
}

extension ServerPair {
  /// The pair of the running suite.
  static func get() throws -> ServerPair {
    try #require(current, "the suite needs the .serverPair() trait")
  }
}
