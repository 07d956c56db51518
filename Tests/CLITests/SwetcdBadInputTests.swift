import Foundation
import Testing
import TestSupport

/// Bad client input against the real swetcd process: each request gets a clear error and the member keeps serving.
@Suite struct SwetcdBadInputTests {
  /// Runs `body` with a swetcd's client URL and its directory (for scratch files), then stops it by PID.
  static func withSwetcd(_ body: (String, String) async throws -> Void) async throws {
    let server = try await SwetcdServer.start()
    do {
      try await body(server.clientURL, server.directory)
    } catch {
      await server.stopped()
      throw error
    }
    await server.stopped()
  }

  static func etcdctl(_ client: String, _ arguments: [String]) async throws -> ProcessOutput {
    let etcdctl = try #require(ChildProcess.which("etcdctl"), "etcdctl 3.4 (Debian etcd-client) is not installed")
    return try await ChildProcess.runDetached(
      etcdctl, ["--endpoints=\(client)", "--command-timeout=10s"] + arguments, environment: ["ETCDCTL_API": "3"])
  }

  /// The member still answers a put and a get.
  static func expectServing(_ client: String) async throws {
    #expect(try await etcdctl(client, ["put", "alive", "yes"]).stdout == "OK\n")
    #expect(try await etcdctl(client, ["get", "alive", "--print-value-only"]).stdout == "yes\n")
  }

  /// A gRPC call made with curl: `frame` is the length-prefixed message bytes. Returns the response headers and
  /// trailers as curl prints them.
  static func grpcCall(_ client: String, path: String, frame: [UInt8], directory: String) async throws -> String {
    let file = directory + "/frame-\(UUID().uuidString)"
    try Data(frame).write(to: URL(fileURLWithPath: file))
    let output = try await ChildProcess.runDetached("/usr/bin/curl", [
      "-sS", "--http2-prior-knowledge", "-H", "content-type: application/grpc", "-H", "te: trailers",
      "--data-binary", "@" + file, "-D", "-", "-o", "/dev/null", client + path,
    ])
    return output.stdout.lowercased()
  }

  @Test func aPutOverMaxRequestBytesIsEtcdsTooLargeErrorAndTheMemberServesOn() async throws {
    try await Self.withSwetcd { client, directory in
      // 1,700,000 bytes: over --max-request-bytes (1.5 MiB) but under gRPC's receive limit, as etcd 3.4 answers
      // "etcdserver: request is too large" from the proposal size check.
      let value = directory + "/big"
      try Data(repeating: UInt8(ascii: "a"), count: 1_700_000).write(to: URL(fileURLWithPath: value))
      let etcdctl = try #require(ChildProcess.which("etcdctl"))
      let put = try await ChildProcess.runDetached(
        "/bin/sh", ["-c", "\"$0\" --endpoints=\(client) put big < \"$1\"", etcdctl, value],
        environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"])
      #expect(put.status == 1)
      #expect(put.stderr.contains("Error: etcdserver: request is too large"), "\(put.stderr)")
      #expect(try await Self.etcdctl(client, ["get", "big"]).stdout == "")
      try await Self.expectServing(client)
    }
  }

  @Test func malformedProtobufAndUnknownMethodsAreRefusedAndTheMemberServesOn() async throws {
    try await Self.withSwetcd { client, directory in
      // A 5-byte message that is not a RangeRequest (a truncated varint field).
      let garbage: [UInt8] = [0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff]
      let range = try await Self.grpcCall(client, path: "/etcdserverpb.KV/Range", frame: garbage, directory: directory)
      // grpc-swift answers INVALID_ARGUMENT (etcd's grpc-go: INTERNAL; docs/compatibility.md).
      #expect(range.contains("grpc-status: 3"), "\(range)")
      let empty: [UInt8] = [0, 0, 0, 0, 0]
      let unknown = try await Self.grpcCall(client, path: "/etcdserverpb.KV/Nope", frame: empty, directory: directory)
      #expect(unknown.contains("grpc-status: 12"), "\(unknown)")
      try await Self.expectServing(client)
    }
  }

  @Test func unknownHTTPPathsGetEtcdsNotFoundAndTheMemberServesOn() async throws {
    try await Self.withSwetcd { client, _ in
      let missing = try await ChildProcess.runDetached("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", client + "/nope"])
      #expect(missing.stdout == "404 page not found\n\n404", "\(missing.stdout)")
      // Not HTTP at all: etcd 3.4 closes such a connection without a word; swetcd's HTTP/1.1 decoder answers 400
      // and closes. Nothing else happens.
      let port = String(client.split(separator: ":").last!)
      let junk = try await ChildProcess.runDetached("/bin/bash", [
        "-c", "exec 3<>/dev/tcp/127.0.0.1/$0; printf 'NOT HTTP\\r\\n\\r\\n' >&3; timeout 5 cat <&3; true", port,
      ])
      #expect(junk.stdout.hasPrefix("HTTP/1.1 400 "), "\(junk.stdout)")
      try await Self.expectServing(client)
    }
  }
}
