// One client listener: gRPC and HTTP/1.1 on the same port, plaintext or TLS, as etcd serves --listen-client-urls.
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Serves grpc-swift services and an HTTP/1.1 handler on one address.
///
/// Each connection is sniffed: the HTTP/2 client preface means gRPC, anything else HTTP/1.1. With TLS, ALPN offers
/// `http/1.1` and `h2` (in that order), and the verified client certificate's common name is passed to handlers
/// (gRPC: metadata ``PeerIdentity/commonNameMetadataKey``; HTTP: ``HTTPRequest/peerCommonName``).
///
/// ```swift
/// let listener = ClientListener(configuration: .init(url: try ListenURL(parsing: "http://127.0.0.1:0")),
///                               services: [kv, watch], http: router.respond(to:))
/// let bound = try await listener.start()   // bound.port is the real port
/// ...
/// await listener.stop()
/// ```
public final class ClientListener: Sendable {
  public let configuration: ClientListenerConfiguration
  private let services: [any RegistrableRPCService]
  private let interceptors: [any ServerInterceptor]
  private let httpHandler: HTTPHandler
  private let eventLoopGroup: MultiThreadedEventLoopGroup
  private let registry = PeerRegistry()

  private struct Running {
    var server: GRPCServer<HTTP2ServerTransport.Custom<SharedPortListenerFactory>>
    var task: Task<Void, Never>
    var bound: ListenURL
  }
  private enum State {
    case idle
    /// `start` is binding; serving that ends from here on (once bound) counts as unexpected.
    case starting
    case running(Running)
    case stopped
  }
  private let state = Mutex(State.idle)
  /// Yields once if serving ends while the listener was not being stopped; finished by `stop`.
  private let unexpectedEnd = AsyncStream<String>.makeStream()

  /// The peer common name is set in request metadata before any of `interceptors` run.
  /// - Parameters:
  ///   - services: The gRPC services (KV, Watch, ..., grpc.health.v1.Health).
  ///   - interceptors: gRPC server interceptors, run after the listener's own (which sets the peer common name).
  ///   - http: Answers every HTTP/1.1 request (usually ``HTTPRouter/respond(to:)``).
  ///   - metrics: When given, every RPC is counted in grpc_server_started_total / grpc_server_handled_total.
  public init(
    configuration: ClientListenerConfiguration,
    services: [any RegistrableRPCService],
    interceptors: [any ServerInterceptor] = [],
    http: @escaping HTTPHandler,
    metrics: EtcdMetrics? = nil,
    eventLoopGroup: MultiThreadedEventLoopGroup = .singletonMultiThreadedEventLoopGroup
  ) {
    self.configuration = configuration
    self.services = services
    let counting: [any ServerInterceptor] = metrics.map { [GRPCMetricsInterceptor(metrics: $0, services: services)] } ?? []
    self.interceptors = counting + interceptors
    self.httpHandler = http
    self.eventLoopGroup = eventLoopGroup
  }

  /// The address actually bound (the real port when the configuration asked for port 0), once started.
  public var boundURL: ListenURL? {
    state.withLock { if case .running(let running) = $0 { return running.bound } else { return nil } }
  }

  /// Binds the address and starts serving in the background. Returns the bound address.
  /// - Throws: ``EtcdAPIError`` when TLS cannot be set up or the address cannot be bound.
  @discardableResult
  public func start() async throws(EtcdAPIError) -> ListenURL {
    let url = configuration.url
    guard state.withLock({ state in
      guard case .idle = state else { return false }
      state = .starting
      return true
    }) else {
      throw .invalidState("listener \(url) was already started; make a new ClientListener to listen again")
    }
    var sslContext: NIOSSLContext? = nil
    if url.scheme == .https {
      guard let tls = configuration.tls else { throw .missingCertificate(url: url.description) }
      sslContext = try tls.makeContext()
    }
    let signal = BindSignal()
    let factory = SharedPortListenerFactory(
      eventLoopGroup: eventLoopGroup, url: url, sslContext: sslContext, registry: registry,
      httpHandler: httpHandler, maxHTTPBodyBytes: configuration.effectiveMaxHTTPBodyBytes, signal: signal)
    let transport = HTTP2ServerTransport.Custom(listenerFactory: factory, config: transportConfig())
    let server = GRPCServer(
      transport: transport, services: services,
      interceptors: [PeerIdentityInterceptor(registry: registry)] + interceptors)
    let task = Task {
      let reason: String
      do {
        try await server.serve()
        reason = "the server stopped accepting connections"
      } catch {
        reason = "\(error)"
      }
      // A failed bind is `start`'s error; an end after a successful bind is unexpected unless `stop` came first
      // (also when it comes before `start` has recorded the listener as running: the stream keeps the reason).
      signal.complete(.failure(EtcdAPIError.bindFailed(url: url.description, message: reason)))
      let unexpected = self.state.withLock { state in
        switch state {
        case .starting, .running: return true
        case .idle, .stopped: return false
        }
      }
      if signal.isBound && unexpected { self.unexpectedEnd.continuation.yield(reason) }
    }
    let address: NIOCore.SocketAddress
    do throws(EtcdAPIError) {
      address = try await signal.wait()
    } catch {
      task.cancel()
      await task.value
      state.withLock { $0 = .stopped }
      throw error
    }
    let bound = ListenURL(scheme: url.scheme, host: address.ipAddress ?? url.host, port: address.port ?? url.port)
    let stoppedMeanwhile = state.withLock { state -> Bool in
      guard case .starting = state else { return true }
      state = .running(Running(server: server, task: task, bound: bound))
      return false
    }
    if stoppedMeanwhile {
      server.beginGracefulShutdown()
      await task.value
      throw .invalidState("listener \(url) was stopped while it was starting")
    }
    return bound
  }

  /// Returns why serving ended when it ended on its own (the listening socket failed) after `start`; returns nil
  /// once `stop` is called instead. etcd exits on a failed listener ("listener failed"), and so does swetcd.
  public func waitUntilEndedUnexpectedly() async -> String? {
    for await reason in unexpectedEnd.stream { return reason }
    return nil
  }

  /// Stops accepting connections and lets in-flight requests finish for up to `gracePeriod`; then closes whatever
  /// is left. Streamed HTTP responses (open-ended, such as watches) are ended at once. Idempotent.
  public func stop(gracePeriod: Duration = .seconds(10)) async {
    let running = state.withLock { state -> Running? in
      defer { state = .stopped }
      if case .running(let running) = state { return running }
      return nil
    }
    unexpectedEnd.continuation.finish()
    guard let running else { return }
    running.server.beginGracefulShutdown()
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        await running.task.value
        return true
      }
      group.addTask {
        try? await Task.sleep(for: gracePeriod)
        return false
      }
      if await group.next() == false { running.task.cancel() }
      group.cancelAll()
    }
    await running.task.value
  }

  private func transportConfig() -> HTTP2ServerTransport.Custom<SharedPortListenerFactory>.Config {
    var config = HTTP2ServerTransport.Custom<SharedPortListenerFactory>.Config.defaults
    config.rpc.maxRequestPayloadSize = configuration.maxReceiveMessageBytes
    config.connection.keepalive = .init(
      time: configuration.keepaliveInterval, timeout: configuration.keepaliveTimeout,
      clientBehavior: .init(minPingIntervalWithoutCalls: configuration.keepaliveMinTime, allowWithoutCalls: true))
    config.http2.maxConcurrentStreams = configuration.maxConcurrentStreams
    return config
  }
}
