// Routes client-port HTTP requests by method and path (exact paths first, then the longest matching prefix).
import NIOHTTP1

/// Answers one HTTP request.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// A method + path router. Build it (add routes), then hand `respond(to:)` to the listener; it is immutable once
/// built, so lookups take no lock. Exact paths are a dictionary lookup; prefix routes are few and checked
/// longest first.
public struct HTTPRouter: Sendable {
  private struct Route: Sendable {
    var handlers: [String: HTTPHandler] = [:]
    var allowed: [String] = []
  }

  private var exact: [String: Route] = [:]
  private var prefixes: [(prefix: String, route: Route)] = []

  /// Answer for paths no route matches. Default: etcd's "404 page not found".
  public var notFound: HTTPHandler = { _ in HTTPResponse.notFound }

  /// Headers put on every response. Default: etcd's CORS headers for `--cors=*`.
  public var commonHeaders: HTTPHeaders = [
    "Access-Control-Allow-Headers": "accept, content-type, authorization",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PUT, DELETE",
    "Access-Control-Allow-Origin": "*",
  ]

  /// Answer `OPTIONS` on any path with an empty 200 (etcd's CORS pre-flight behaviour).
  public var answersPreflight = true

  public init() {}

  /// Routes `methods` on exactly `path` to `handler`. Other methods on that path get 405 with `Allow`.
  public mutating func add(_ methods: [String], exact path: String, _ handler: @escaping HTTPHandler) {
    var route = exact[path] ?? Route()
    Self.register(methods, handler, in: &route)
    exact[path] = route
  }

  /// Routes `methods` on every path starting with `prefix` (and not matched exactly) to `handler`.
  public mutating func add(_ methods: [String], prefix: String, _ handler: @escaping HTTPHandler) {
    if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
      Self.register(methods, handler, in: &prefixes[index].route)
    } else {
      var route = Route()
      Self.register(methods, handler, in: &route)
      prefixes.append((prefix, route))
      prefixes.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }
  }

  private static func register(_ methods: [String], _ handler: @escaping HTTPHandler, in route: inout Route) {
    for method in methods {
      let name = method.uppercased()
      if route.handlers[name] == nil { route.allowed.append(name) }
      route.handlers[name] = handler
    }
  }

  /// Finds the handler for `request` and answers it, adding ``commonHeaders``.
  public func respond(to request: HTTPRequest) async -> HTTPResponse {
    var response = await dispatch(request)
    for (name, value) in commonHeaders where !response.headers.contains(name: name) {
      response.headers.add(name: name, value: value)
    }
    return response
  }

  private func dispatch(_ request: HTTPRequest) async -> HTTPResponse {
    if answersPreflight, request.method == "OPTIONS" { return HTTPResponse(status: .ok) }
    let route = exact[request.path] ?? prefixes.first(where: { request.path.hasPrefix($0.prefix) })?.route
    guard let route else { return await notFound(request) }
    guard let handler = route.handlers[request.method] else { return .methodNotAllowed(allowed: route.allowed) }
    return await handler(request)
  }
}
