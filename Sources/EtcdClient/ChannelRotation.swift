import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// Hands out the gRPC client for each call and replaces it with a fresh one every `callsPerChannel` calls.
///
/// etcd's server sends an HTTP/2 PING for flow control with each request, and swift-nio-http2 closes a connection
/// that receives more than 200 control frames in 30 s (a denial-of-service guard the transport does not let us
/// tune). A busy loop of calls on one connection would therefore fail at about the 199th call. A retired channel
/// is shut down gracefully: calls already on it finish.
final class ChannelRotation: @unchecked Sendable {
  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  static let callsPerChannel = 150

  private let lock = NSLock()
  private let make: @Sendable () throws(EtcdClientError) -> Client
  private var current: Client
  private var calls = 0
  private var runners: [Task<Void, Never>] = []

  init(make: @escaping @Sendable () throws(EtcdClientError) -> Client) throws(EtcdClientError) {
    self.make = make
    current = try make()
    runners.append(Self.run(current))
  }

  private static func run(_ client: Client) -> Task<Void, Never> {
    Task { try? await client.runConnections() }
  }

  /// The client for one call; every `callsPerChannel` calls a new one takes over.
  func next() -> Client {
    lock.withLock {
      calls += 1
      if calls > Self.callsPerChannel, let fresh = try? make() {
        current.beginGracefulShutdown()
        current = fresh
        runners.append(Self.run(fresh))
        calls = 1
      }
      return current
    }
  }

  /// Shuts every channel down after its in-flight calls and waits for them.
  func close() async {
    let (client, tasks) = lock.withLock { (current, runners) }
    client.beginGracefulShutdown()
    for task in tasks { await task.value }
  }
}
