import EtcdAPI
import EtcdClient
import Foundation
import Testing
import TestSupport

/// One plaintext port answers gRPC (our client and the real etcdctl) and HTTP/1.1 (etcd's built-in routes).
@Suite struct SharedPortTests {
  static let etcdctlInstalled = ChildProcess.which("etcdctl") != nil

  @Test func plainPortServesGRPCAndHTTPOnTheSamePort() async throws {
    try await withListener(router: builtinRouter(metrics: MetricsRegistry())) { bound in
      #expect(bound.port != 0)
      let client = try EtcdClient(endpoints: ["http://127.0.0.1:\(bound.port)"])
      let status = try await client.closing { client async throws(EtcdClientError) in
        try await client.connections[0].status()
      }
      #expect(status.version == "plain")
      #expect(status.memberID == CommonNameMaintenance.memberID)

      let version = try await curl(["-i", "http://127.0.0.1:\(bound.port)/version"])
      #expect(version.stdout.hasPrefix("HTTP/1.1 200 OK"))
      #expect(version.stdout.hasSuffix("\r\n\r\n{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}"))
      #expect(version.stdout.contains("Content-Type: application/json"))
      #expect(version.stdout.contains("Access-Control-Allow-Origin: *"))

      let metrics = try await curl(["-i", "http://127.0.0.1:\(bound.port)/metrics"])
      #expect(metrics.stdout.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
      let headOnly = try await RawHTTPConnection.exchange(
        port: bound.port, "HEAD /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(headOnly.hasPrefix("HTTP/1.1 405"))
      let metricsHead = try await RawHTTPConnection.exchange(
        port: bound.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(metricsHead.hasPrefix("HTTP/1.1 200 OK") && metricsHead.hasSuffix("\r\n\r\n"), "\(metricsHead)")
    }
  }

  @Test func unknownRouteAnswersLikeEtcdsMux() async throws {
    try await withListener(router: builtinRouter()) { bound in
      let response = try await RawHTTPConnection.exchange(
        port: bound.port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
      #expect(response.contains("Content-Type: text/plain; charset=utf-8\r\n"))
      #expect(response.contains("X-Content-Type-Options: nosniff\r\n"))
      #expect(response.contains("Content-Length: 19\r\n"))
      #expect(response.hasSuffix("\r\n\r\n404 page not found\n"))
    }
  }

  @Test func wrongMethodOnKnownRouteGets405WithAllow() async throws {
    try await withListener(router: builtinRouter()) { bound in
      let response = try await RawHTTPConnection.exchange(
        port: bound.port, "POST /version HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
      #expect(response.contains("Allow: GET\r\n"))
      #expect(response.hasSuffix("\r\n\r\nMethod Not Allowed\n"))
      let preflight = try await RawHTTPConnection.exchange(
        port: bound.port, "OPTIONS /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(preflight.hasPrefix("HTTP/1.1 200 OK\r\n"))
      #expect(preflight.contains("Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\n"))
    }
  }

  @Test func healthReflectsTheCallbackAndProbesAnswer() async throws {
    try await withListener(router: builtinRouter(healthy: false)) { bound in
      let health = try await curl(["-i", "http://127.0.0.1:\(bound.port)/health"])
      #expect(health.stdout.hasPrefix("HTTP/1.1 503 Service Unavailable"))
      #expect(health.stdout.hasSuffix("{\"health\":\"false\"}"))
      let livez = try await curl(["-i", "http://127.0.0.1:\(bound.port)/livez"])
      #expect(livez.stdout.hasPrefix("HTTP/1.1 200 OK") && livez.stdout.hasSuffix("\r\n\r\nok"))
      let readyz = try await curl(["-i", "http://127.0.0.1:\(bound.port)/readyz"])
      #expect(readyz.stdout.hasPrefix("HTTP/1.1 503"))
    }
    try await withListener(router: builtinRouter(healthy: true)) { bound in
      let health = try await curl(["-i", "http://127.0.0.1:\(bound.port)/health"])
      #expect(health.stdout.hasPrefix("HTTP/1.1 200 OK"))
      #expect(health.stdout.hasSuffix("{\"health\":\"true\"}"))
    }
  }

  @Test func keepAliveConnectionAnswersSeveralRequests() async throws {
    try await withListener(router: builtinRouter()) { bound in
      let text = try await offPool { () throws -> String in
        let connection = try RawHTTPConnection(port: bound.port)
        connection.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        guard connection.read(until: "\"etcdcluster\":\"3.4.0\"}") else { return "first: " + connection.text }
        connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        guard connection.read(until: "{\"health\":\"true\"}") else { return "second: " + connection.text }
        return connection.text
      }
      #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(text)")
    }
  }

  @Test func oversizedBodyIsRefusedLikeEtcdsGateway() async throws {
    var router = HTTPRouter()
    router.add(["POST"], exact: "/v3/kv/put") { request in .json("{\"size\":\(request.body.count)}") }
    try await withListener(configure: { $0.maxHTTPBodyBytes = 1000 }, router: router) { bound in
      let small = try await curl(["-X", "POST", "--data-binary", String(repeating: "a", count: 1000),
                                  "http://127.0.0.1:\(bound.port)/v3/kv/put"])
      #expect(small.stdout == "{\"size\":1000}")
      let big = try await curl(["-i", "-X", "POST", "--data-binary", String(repeating: "a", count: 5000),
                                "http://127.0.0.1:\(bound.port)/v3/kv/put"])
      #expect(big.stdout.contains("HTTP/1.1 429 Too Many Requests"))
      #expect(big.stdout.contains(
        "{\"error\":\"grpc: received message larger than max (5000 vs. 1000)\",\"message\":\"grpc: received message larger than max (5000 vs. 1000)\",\"code\":8}"))
    }
  }

  @Test func streamedResponseArrivesLineByLine() async throws {
    let (secondLineAllowed, allow) = AsyncStream.makeStream(of: Void.self)
    var router = HTTPRouter()
    router.add(["POST"], exact: "/v3/watch") { _ in
      HTTPResponse(headers: ["Content-Type": "application/json"], body: .stream { writer in
        try await writer.writeLine("{\"result\":{\"n\":\"1\"}}")
        for await _ in secondLineAllowed { break }
        try await writer.writeLine("{\"result\":{\"n\":\"2\"}}")
      })
    }
    try await withListener(router: router) { bound in
      let connection = try await offPool { try RawHTTPConnection(port: bound.port) }
      let first = try await offPool { () -> Bool in
        connection.send("POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        return connection.read(until: "{\"result\":{\"n\":\"1\"}}\n")
      }
      #expect(first, "the first line did not arrive before the stream went on: \(connection.text)")
      #expect(!connection.text.contains("\"n\":\"2\""))
      #expect(connection.text.lowercased().contains("transfer-encoding: chunked\r\n"))
      allow.yield()
      let rest = try await offPool { connection.read(until: "0\r\n\r\n") }
      #expect(rest)
      #expect(connection.text.contains("{\"result\":{\"n\":\"2\"}}\n"))
    }
  }

  @Test func expectContinueGetsInterimAnswerBeforeTheBody() async throws {
    var router = HTTPRouter()
    router.add(["POST"], exact: "/echo") { request in .json(String(decoding: request.body, as: UTF8.self)) }
    try await withListener(router: router) { bound in
      let (interim, text) = try await offPool { () throws -> (Bool, String) in
        let connection = try RawHTTPConnection(port: bound.port)
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        let interim = connection.read(until: "HTTP/1.1 100 Continue\r\n\r\n")
        connection.send("{\"a\":1}")
        connection.readToEnd()
        return (interim, connection.text)
      }
      #expect(interim)
      #expect(text.contains("HTTP/1.1 200 OK\r\n"))
      #expect(text.hasSuffix("{\"a\":1}"))
    }
  }

  @Test func gracefulStopEndsOpenStreamsProperly() async throws {
    var router = HTTPRouter()
    router.add(["POST"], exact: "/v3/watch") { _ in
      HTTPResponse(headers: ["Content-Type": "application/json"], body: .stream { writer in
        try await writer.writeLine("{\"result\":{\"created\":true}}")
        try await Task.sleep(for: .seconds(3600))
      })
    }
    let listener = ClientListener(
      configuration: ClientListenerConfiguration(url: try ListenURL(parsing: "http://127.0.0.1:0")),
      services: [], http: router.respond(to:))
    let bound = try await listener.start()
    let connection = try await offPool { try RawHTTPConnection(port: bound.port) }
    let created = try await offPool { () -> Bool in
      connection.send("POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
      return connection.read(until: "\"created\":true}}\n")
    }
    #expect(created)
    async let stopped: Void = listener.stop(gracePeriod: .seconds(60))
    // The stream ends with the chunked terminator (not by a cut connection after the grace period).
    let ended = try await offPool { connection.read(until: "\r\n0\r\n\r\n") }
    await stopped
    #expect(ended, "\(connection.text)")
  }

  @Test(.enabled(if: etcdctlInstalled, "etcdctl is not installed; run scripts/setup (Debian etcd-client)"))
  func realEtcdctlGetsEndpointStatusFromTheListener() async throws {
    try await withListener(router: builtinRouter()) { bound in
      let output = try await etcdctl(["--endpoints=127.0.0.1:\(bound.port)", "--dial-timeout=5s",
                                      "endpoint", "status", "-w", "json"])
      #expect(output.status == 0, "etcdctl failed: \(output.stderr)")
      let entries = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
      let status = try #require(entries.first?["Status"] as? [String: Any])
      #expect(status["version"] as? String == "plain")
      #expect((status["leader"] as? NSNumber)?.uint64Value == CommonNameMaintenance.memberID)
    }
  }

  @Test func stopClosesThePortAndIsIdempotent() async throws {
    // A port from the test range, not an ephemeral one: another test's listener on port 0 could be given this
    // port the moment it is closed, and the check below would connect to that listener.
    let listener = ClientListener(
      configuration: ClientListenerConfiguration(url: try ListenURL(parsing: "http://127.0.0.1:\(freeTCPPort())")),
      services: [CommonNameMaintenance()], http: builtinRouter().respond(to:))
    let bound = try await listener.start()
    #expect(listener.boundURL == bound)
    let before = try await RawHTTPConnection.exchange(port: bound.port, "GET /livez HTTP/1.1\r\nConnection: close\r\n\r\n")
    #expect(before.hasSuffix("ok"))
    await listener.stop(gracePeriod: .seconds(5))
    await listener.stop()
    await #expect(throws: (any Error).self) { try await offPool { _ = try RawHTTPConnection(port: bound.port) } }
  }

  @Test func inFlightRequestFinishesDuringGracefulStop() async throws {
    let (release, releaser) = AsyncStream.makeStream(of: Void.self)
    let (entered, enter) = AsyncStream.makeStream(of: Void.self)
    var router = HTTPRouter()
    router.add(["GET"], exact: "/slow") { _ in
      enter.yield()
      for await _ in release { break }
      return .json("{\"done\":true}")
    }
    let listener = ClientListener(
      configuration: ClientListenerConfiguration(url: try ListenURL(parsing: "http://127.0.0.1:\(freeTCPPort())")),
      services: [], http: router.respond(to:))
    let bound = try await listener.start()
    async let response = RawHTTPConnection.exchange(port: bound.port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    for await _ in entered { break }
    async let stopped: Void = listener.stop(gracePeriod: .seconds(10))
    // Release the handler only once the listener has stopped accepting: the request is then truly in flight
    // during the shutdown.
    let refusing = await eventually(within: 10) {
      (try? await offPool { try RawHTTPConnection(port: bound.port) }) == nil
    }
    #expect(refusing)
    releaser.yield()
    let text = try await response
    await stopped
    #expect(text.hasPrefix("HTTP/1.1 200 OK"))
    #expect(text.lowercased().contains("connection: close\r\n"))
    #expect(text.hasSuffix("{\"done\":true}"))
  }
}
