// The listening socket behind a ClientListener: accepts connections, adds TLS and the protocol sniffer, then hands
// each connection to grpc-swift's HTTP/2 pipeline.
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Reports the bound address (or the failure to bind) to whoever waits in `ClientListener.start()`.
final class BindSignal: Sendable {
  private struct State {
    var result: Result<NIOCore.SocketAddress, EtcdAPIError>?
    var waiter: CheckedContinuation<NIOCore.SocketAddress, any Error>?
  }
  private let state = Mutex(State())

  func complete(_ result: Result<NIOCore.SocketAddress, EtcdAPIError>) {
    let waiter = state.withLock { state -> CheckedContinuation<NIOCore.SocketAddress, any Error>? in
      guard state.result == nil else { return nil }
      state.result = result
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(with: result.mapError { $0 as any Error })
  }

  /// Whether the address was bound.
  var isBound: Bool {
    state.withLock { if case .success = $0.result { return true } else { return false } }
  }

  func wait() async throws(EtcdAPIError) -> NIOCore.SocketAddress {
    do {
      return try await withCheckedThrowingContinuation { continuation in
        let ready = state.withLock { state -> Result<NIOCore.SocketAddress, EtcdAPIError>? in
          if state.result == nil { state.waiter = continuation }
          return state.result
        }
        if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
      }
    } catch let error as EtcdAPIError {
      throw error
    } catch {
      throw .bindFailed(url: "", message: "\(error)")
    }
  }
}

/// Binds `host:port` and sets up every accepted connection as: [TLS, peer identity] sniffer, gRPC HTTP/2.
struct SharedPortListenerFactory: HTTP2ServerTransport.ListenerFactory {
  let eventLoopGroup: any EventLoopGroup
  let url: ListenURL
  let sslContext: NIOSSLContext?
  let registry: PeerRegistry
  let httpHandler: HTTPHandler
  let maxHTTPBodyBytes: Int
  let signal: BindSignal

  func makeListeningChannel(
    listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
    connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
  ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
    let (sslContext, registry, httpHandler, maxBody) = (self.sslContext, self.registry, self.httpHandler, maxHTTPBodyBytes)
    do {
      let channel = try await ServerBootstrap(group: eventLoopGroup)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
        .bind(host: url.host, port: url.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            // Set here, not as a child channel option: a failing child option makes NIO's accept handler fire the
            // error into the listening channel, which ends grpc-swift's accept loop and so the whole listener. A
            // connection that cannot take the option is still served. (TCP level: `.socketOption(.tcp_nodelay)`
            // would set SOL_SOCKET option 1, SO_DEBUG, which only root may set.)
            try? channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
            let operations = channel.pipeline.syncOperations
            if let sslContext {
              try operations.addHandler(NIOSSLServerHandler(context: sslContext))
              try operations.addHandler(PeerIdentityHandler(registry: registry))
            }
            try operations.addHandler(ProtocolSniffer(tls: sslContext != nil) { peerName in
              HTTPConnectionHandler(handler: httpHandler, maxBodyBytes: maxBody, peerCommonName: peerName)
            })
          }.flatMap {
            connectionConfigurator.configure(
              channel: channel, tls: sslContext == nil ? .none : .configured(requireALPN: false))
          }
        }
      guard let address = channel.channel.localAddress else {
        throw EtcdAPIError.bindFailed(url: url.description, message: "the socket has no local address")
      }
      signal.complete(.success(address))
      return channel
    } catch let error as EtcdAPIError {
      signal.complete(.failure(error))
      throw error
    } catch {
      let failure = EtcdAPIError.bindFailed(url: url.description, message: "\(error)")
      signal.complete(.failure(failure))
      throw failure
    }
  }
}
