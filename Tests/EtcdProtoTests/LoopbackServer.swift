import GRPCCore
import GRPCNIOTransportHTTP2

/// Runs a grpc-swift-2 server with `services` on 127.0.0.1 (a free port) for the duration of `body`.
///
/// Keepalive is configured as etcd's server is (grpc-go clients ping every ~10 s; etcd's minimum is 5 s).
func withLoopbackServer<T: Sendable>(
  services: [any RegistrableRPCService], _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
  var config = HTTP2ServerTransport.Posix.Config.defaults
  config.connection.keepalive.clientBehavior = .init(minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true)
  let transport = HTTP2ServerTransport.Posix(
    address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext, config: config)
  let server = GRPCServer(transport: transport, services: services)
  return try await withThrowingTaskGroup(of: T?.self) { group in
    group.addTask {
      try await server.serve()
      return nil
    }
    defer { server.beginGracefulShutdown() }
    guard let port = try await transport.listeningAddress.ipv4?.port else {
      throw RPCError(code: .internalError, message: "test server did not bind an IPv4 port")
    }
    let result = try await body(port)
    server.beginGracefulShutdown()
    for try await _ in group {}
    return result
  }
}
