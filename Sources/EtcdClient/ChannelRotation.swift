import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// Lends a gRPC client to each call and replaces it with a fresh one every `callsPerChannel` calls.
///
/// etcd's server sends an HTTP/2 PING for flow control with each request, and swift-nio-http2 closes a connection
/// that receives more than 200 control frames in 30 s (a denial-of-service guard the transport does not let us
/// tune). A busy loop of calls on one connection would therefore fail at about the 199th call. A retired channel
/// is shut down once the last call lent it has finished, so calls that were handed the channel just before it was
/// retired still run on it (many concurrent calls retire channels while others are about to start on them).
final class ChannelRotation: @unchecked Sendable {
  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  static let callsPerChannel = 150

  /// A client with the number of calls it has on loan.
  private final class Channel {
    let client: Client
    var active = 0
    var retired = false

    init(client: Client) { self.client = client }
  }

  private let lock = NSLock()
  private let make: @Sendable () throws(EtcdClientError) -> Client
  private var current: Channel
  private var calls = 0
  private var runners: [Task<Void, Never>] = []

  init(make: @escaping @Sendable () throws(EtcdClientError) -> Client) throws(EtcdClientError) {
    self.make = make
    current = Channel(client: try make())
    runners.append(Self.run(current.client))
  }

  private static func run(_ client: Client) -> Task<Void, Never> {
    Task { try? await client.runConnections() }
  }

  /// Runs `body` with the current client, which is not shut down before `body` returns.
  func withClient<T>(_ body: (Client) async throws -> T) async throws -> T {
    let channel = lend()
    defer { giveBack(channel) }
    return try await body(channel.client)
  }

  /// The channel for one call; every `callsPerChannel` calls a new one takes over.
  private func lend() -> Channel {
    lock.withLock {
      calls += 1
      if calls > Self.callsPerChannel, let fresh = try? make() {
        let old = current
        old.retired = true
        if old.active == 0 { old.client.beginGracefulShutdown() }
        current = Channel(client: fresh)
        runners.append(Self.run(fresh))
        calls = 1
      }
      current.active += 1
      return current
    }
  }

  private func giveBack(_ channel: Channel) {
    lock.withLock {
      channel.active -= 1
      if channel.retired && channel.active == 0 { channel.client.beginGracefulShutdown() }
    }
  }

  /// Shuts every channel down after its in-flight calls and waits for them.
  func close() async {
    let (channel, tasks) = lock.withLock { (current, runners) }
    channel.client.beginGracefulShutdown()
    for task in tasks { await task.value }
  }
}
