import EtcdServer
import Foundation
import Testing
import TestSupport

/// etcdctl 3.4's auth commands against the member and, side by side, against the real etcd 3.4.23: every step
/// prints the same text and exits the same way on both.
@Suite struct EtcdctlAuthTests {
  /// One etcdctl call of the script (after the endpoint flags).
  static let script: [[String]] = [
    ["user", "add", "root:pw"],
    ["role", "add", "root"],
    ["user", "grant-role", "root", "root"],
    ["role", "add", "r"],
    ["role", "grant-permission", "r", "readwrite", "/a/", "--prefix"],
    ["user", "add", "alice:pw"],
    ["user", "grant-role", "alice", "r"],
    ["auth", "enable"],
    ["get", "foo"],
    ["--user", "root:pw", "put", "foo", "bar"],
    ["--user", "root:pw", "get", "foo"],
    ["--user", "alice:pw", "put", "/a/x", "1"],
    ["--user", "alice:pw", "get", "/a/x"],
    ["--user", "alice:pw", "put", "/b", "1"],
    ["--user", "alice:pw", "get", "/b"],
    ["--user", "alice:wrong", "get", "/a/x"],
    ["--user", "alice:pw", "user", "list"],
    ["--user", "root:pw", "user", "list"],
    ["--user", "root:pw", "role", "list"],
    ["--user", "root:pw", "role", "get", "r"],
    ["--user", "root:pw", "user", "get", "alice", "--detail"],
    ["--user", "alice:pw", "user", "get", "alice"],
    ["--user", "root:pw", "user", "delete", "root"],
    ["--user", "root:pw", "auth", "disable"],
    ["get", "foo"],
    ["user", "add", "root:again"],
  ]

  static func run(_ endpoint: String) async throws -> [ProcessOutput] {
    var outputs: [ProcessOutput] = []
    for step in script { outputs.append(try await EtcdctlAgainstServerTests.etcdctl(endpoint, step)) }
    return outputs
  }

  /// etcdctl's warning lines without what differs between any two runs (time, client ID, port).
  static func normalized(_ text: String) -> String {
    text.replacingOccurrences(of: #""ts":"[^"]*""#, with: "TS", options: .regularExpression)
      .replacingOccurrences(of: #""target":"[^"]*""#, with: "TARGET", options: .regularExpression)
  }

  @Test func etcdctlAuthCommandsPrintWhatTheyPrintAgainstEtcd() async throws {
    let ours = try await EtcdctlAgainstServerTests.withServer { (endpoint: String, _: EtcdServer) async throws in
      try await Self.run(endpoint)
    }
    // The member refuses what etcd refuses, with etcd's text.
    #expect(ours[8].status != 0 && ours[8].stderr.contains("etcdserver: user name is empty"), "\(ours[8].stderr)")
    #expect(ours[10].stdout == "foo\nbar\n")
    #expect(ours[11].stdout == "OK\n")
    #expect(ours[13].stderr.contains("etcdserver: permission denied"), "\(ours[13].stderr)")
    #expect(ours[15].stderr.contains("etcdserver: authentication failed, invalid user ID or password"))
    #expect(ours[17].stdout == "alice\nroot\n")
    #expect(ours[23].stdout == "Authentication Disabled\n")
    #expect(ours[24].stdout == "foo\nbar\n")
    try #require(RealEtcd.isInstalled, "the comparison needs the real etcd 3.4.23 (Debian etcd-server)")
    let etcd = try await RealEtcd.start()
    let theirs: [ProcessOutput]
    do {
      theirs = try await Self.run(String(etcd.clientURL.dropFirst("http://".count)))
    } catch {
      await etcd.stopped()
      throw error
    }
    await etcd.stopped()
    for (index, step) in Self.script.enumerated() {
      #expect(ours[index].stdout == theirs[index].stdout, "etcdctl \(step.joined(separator: " ")): stdout")
      #expect(
        Self.normalized(ours[index].stderr) == Self.normalized(theirs[index].stderr),
        "etcdctl \(step.joined(separator: " ")): stderr")
      #expect(ours[index].status == theirs[index].status, "etcdctl \(step.joined(separator: " ")): status")
    }
  }
}
