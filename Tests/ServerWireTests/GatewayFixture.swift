import EtcdAPI
import EtcdServer
import Foundation
import Testing
import TestSupport

/// A member served on 127.0.0.1 by a ClientListener whose HTTP side carries the JSON gateway, driven with curl.
struct GatewayFixture {
  /// `--max-request-bytes` of the fixture and of the real etcd it is compared with.
  static let maxRequestBytes = 2000

  /// Runs a member plus listener for the duration of `body`, which gets the base URL (`http://127.0.0.1:port`).
  static func withGateway<T: Sendable>(_ body: @Sendable (_ base: String) async throws -> T) async throws -> T {
    try await withGatewayAndMember { base, _ in try await body(base) }
  }

  /// As ``withGateway(_:)``, also handing `body` the member.
  static func withGatewayAndMember<T: Sendable>(
    _ body: @Sendable (_ base: String, _ member: EtcdServer) async throws -> T
  ) async throws -> T {
    let directory = makeTemporaryDirectory("swetcd-gateway")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var settings = MemberSettings(dataDirectory: directory + "/data")
    settings.unsafeNoFsync = true
    settings.maxRequestBytes = maxRequestBytes
    let member = try EtcdServer(settings: settings, log: ServerLog(minimum: .error))
    defer { member.stop() }
    var configuration = ClientListenerConfiguration(url: try ListenURL(parsing: "http://127.0.0.1:0"))
    configuration.maxRequestBytes = maxRequestBytes
    var router = HTTPRouter()
    router.addBuiltinRoutes(healthy: { true }, probes: false)
    router.addJSONGateway(server: member, maxReceiveMessageBytes: configuration.maxReceiveMessageBytes)
    let http = router
    let listener = ClientListener(configuration: configuration, services: [], http: { await http.respond(to: $0) })
    let bound = try await listener.start()
    do {
      let result = try await body("http://127.0.0.1:\(bound.port)", member)
      await listener.stop(gracePeriod: .seconds(1))
      return result
    } catch {
      await listener.stop(gracePeriod: .seconds(1))
      throw error
    }
  }
}

/// One HTTP answer as curl saw it.
struct CurlAnswer: Sendable {
  var status: Int
  var headers: [String: String]
  var body: String

  /// The body parsed as JSON.
  var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
}

/// POSTs `body` (passed through a file, so any size works) to `base + path` with curl.
func gatewayPost(
  _ base: String, _ path: String, _ body: String, method: String = "POST", headers: [String] = [], maxTime: Int? = nil
) async throws -> CurlAnswer {
  let file = makeTemporaryDirectory("gateway-body") + "/body.json"
  defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
  try Data(body.utf8).write(to: URL(fileURLWithPath: file))
  var arguments = ["-s", "--max-time", String(maxTime ?? 20), "-i", "-X", method, "-H", "Expect:"]
  for header in headers { arguments += ["-H", header] }
  if method != "GET" { arguments += ["--data-binary", "@" + file] }
  arguments.append(base + path)
  let run = arguments
  let output = try await offPool {
    try ChildProcess.run("/usr/bin/curl", run, environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
  }
  return parseCurlOutput(output.stdout)
}

/// Splits curl `-i` output into status, headers and body.
func parseCurlOutput(_ text: String) -> CurlAnswer {
  guard let split = text.range(of: "\r\n\r\n") else { return CurlAnswer(status: 0, headers: [:], body: text) }
  let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
  let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
  var headers: [String: String] = [:]
  for line in lines.dropFirst() {
    guard let colon = line.firstIndex(of: ":") else { continue }
    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }
  var body = String(text[split.upperBound...])
  // curl -i prints a chunked answer's trailer fields after its body.
  if let trailer = headers["trailer"], let start = body.range(of: trailer + ":", options: .backwards) {
    headers[trailer.lowercased()] = body[start.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    body = String(body[..<start.lowerBound])
  }
  return CurlAnswer(status: status, headers: headers, body: body)
}

/// A JSON object as the gateway tests read answers.
typealias JSON = [String: Any]

/// The answer's body as a JSON object (the test fails when it is not one).
func object(_ answer: CurlAnswer) throws -> JSON {
  try #require(answer.json as? JSON, "not a JSON object: \(answer.body)")
}

/// `text` as base64.
func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// A curl reading a streamed answer (`-N`), its output appended to a log read while it runs. Stopped by PID.
final class StreamingCurl: Sendable {
  let process: LoggedProcess
  let directory: String

  init(_ url: String, body: String) throws {
    directory = makeTemporaryDirectory("gateway-stream")
    process = try ChildProcess.startLogged(
      "/usr/bin/curl", ["-s", "-N", "--max-time", "60", "-X", "POST", "-d", body, url],
      logPath: directory + "/out", environment: ["PATH": "/usr/bin:/bin"])
  }

  /// The complete lines received so far, parsed as JSON objects.
  var lines: [[String: Any]] {
    process.output.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }

  /// Waits until at least `count` lines arrived (false after `seconds`).
  func waitForLines(_ count: Int, within seconds: Double = 15) async -> Bool {
    await eventually(within: seconds, every: .milliseconds(50)) { self.lines.count >= count }
  }

  func stop() async {
    _ = try? await offPool { self.process.stop(grace: 2) }
    try? FileManager.default.removeItem(atPath: directory)
  }
}
