// Responses of the client-port HTTP handlers: whole, or streamed with chunked transfer encoding.
import NIOCore
import NIOHTTP1

/// Writes the chunks of a streamed response. Each `write` is flushed to the client at once and returns when the
/// connection has taken it (back-pressure); it throws when the client has gone away, which ends the stream.
public struct HTTPStreamWriter: Sendable {
  let sink: @Sendable ([UInt8]) async throws -> Void

  /// Sends `bytes` as one chunk.
  public func write(_ bytes: [UInt8]) async throws { try await sink(bytes) }

  /// Sends `line` plus a newline as one chunk (the /v3/watch gateway sends one JSON object per line).
  public func writeLine(_ line: String) async throws {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    try await sink(bytes)
  }
}

/// An HTTP response. Bodies are either whole bytes (sent with Content-Length) or a stream (chunked).
public struct HTTPResponse: Sendable {
  public enum Body: Sendable {
    case bytes([UInt8])
    /// The producer writes chunks until it returns; the response then ends. Cancelled when the client disconnects
    /// or the listener shuts down.
    case stream(@Sendable (HTTPStreamWriter) async throws -> Void)
  }

  public var status: HTTPResponseStatus
  public var headers: HTTPHeaders
  public var body: Body
  /// Trailer fields sent after a streamed body (announce them in a `Trailer` header); ignored for whole bodies.
  public var trailers: HTTPHeaders = [:]

  public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
    self.status = status
    self.headers = headers
    self.body = body
  }

  /// A whole response with `contentType`.
  public init(status: HTTPResponseStatus = .ok, contentType: String, body: [UInt8]) {
    self.init(status: status, headers: ["Content-Type": contentType], body: .bytes(body))
  }

  /// A JSON response (`application/json`).
  public static func json(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
    HTTPResponse(status: status, contentType: "application/json", body: Array(text.utf8))
  }

  /// Go's `http.Error`: text/plain, `X-Content-Type-Options: nosniff`, the message plus a newline.
  public static func plainError(_ message: String, status: HTTPResponseStatus) -> HTTPResponse {
    var response = HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8))
    response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
    return response
  }

  /// What etcd's mux answers for an unknown path: 404 "404 page not found".
  public static let notFound = plainError("404 page not found", status: .notFound)

  /// What etcd answers for a known path with the wrong method: 405, `Allow` lists the allowed methods.
  public static func methodNotAllowed(allowed: [String]) -> HTTPResponse {
    var response = plainError("Method Not Allowed", status: .methodNotAllowed)
    if !allowed.isEmpty { response.headers.add(name: "Allow", value: allowed.joined(separator: ", ")) }
    return response
  }

  /// The answer to a request body over the limit, shaped like etcd's gateway error for an oversized request:
  /// 429 with `{"error":...,"message":...,"code":8}`.
  public static func bodyTooLarge(size: Int, limit: Int) -> HTTPResponse {
    let message = "grpc: received message larger than max (\(size) vs. \(limit))"
    return .json("{\"error\":\"\(message)\",\"message\":\"\(message)\",\"code\":8}", status: .tooManyRequests)
  }
}
