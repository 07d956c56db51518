// grpc_server_started_total / grpc_server_handled_total, counted like go-grpc-prometheus does for etcd.
import GRPCCore

/// The gRPC method kinds as go-grpc-prometheus labels them (`grpc_type`).
public enum GRPCMethodType: String, Sendable {
  case unary
  case clientStream = "client_stream"
  case serverStream = "server_stream"
  case bidiStream = "bidi_stream"

  /// The streaming methods of etcd's API; every other method is unary.
  public static let etcdStreamingMethods: [String: GRPCMethodType] = [
    "etcdserverpb.Watch/Watch": .bidiStream,
    "etcdserverpb.Lease/LeaseKeepAlive": .bidiStream,
    "etcdserverpb.Maintenance/Snapshot": .serverStream,
    "v3electionpb.Election/Observe": .serverStream,
    "grpc.health.v1.Health/Watch": .serverStream,
  ]

  /// The type of `method` (`service/method`) per ``etcdStreamingMethods``.
  public static func of(_ method: MethodDescriptor) -> GRPCMethodType {
    etcdStreamingMethods[method.fullyQualifiedMethod] ?? .unary
  }
}

/// Counts every RPC when it starts and when it ends (with its status code). The series of every registered method
/// exist from the start at 0, as in etcd. Per RPC it does one dictionary lookup by method and two atomic adds.
public struct GRPCMetricsInterceptor: ServerInterceptor {
  /// go-grpc-prometheus' `grpc_code` values, indexed by status code number.
  public static let codeNames = [
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
    "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
    "Internal", "Unavailable", "DataLoss", "Unauthenticated",
  ]

  struct Series: Sendable {
    let started: Counter
    let handled: [Counter]  // by code number
  }
  private let series: [MethodDescriptor: Series]

  /// Creates the series of `methods` (at zero) in `metrics`.
  public init(metrics: EtcdMetrics, methods: [MethodDescriptor]) {
    var series: [MethodDescriptor: Series] = [:]
    for method in methods {
      let type = GRPCMethodType.of(method).rawValue
      let (name, service) = (method.method, method.service.fullyQualifiedService)
      series[method] = Series(
        started: metrics.grpcStarted.labels([name, service, type]),
        handled: Self.codeNames.map { metrics.grpcHandled.labels([$0, name, service, type]) })
    }
    self.series = series
  }

  /// Creates the series of every method of `services`.
  public init(metrics: EtcdMetrics, services: [any RegistrableRPCService]) {
    var router = RPCRouter<MethodListingTransport>()
    for service in services { service.registerMethods(with: &router) }
    self.init(metrics: metrics, methods: router.methods)
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    guard let series = series[context.descriptor] else { return try await next(request, context) }
    series.started.increment()
    let response: StreamingServerResponse<Output>
    do {
      response = try await next(request, context)
    } catch {
      series.handled[Self.code(of: error)].increment()
      throw error
    }
    switch response.accepted {
    case .failure(let error):
      series.handled[error.code.rawValue].increment()
      return response
    case .success(var contents):
      let producer = contents.producer
      contents.producer = { writer in
        do {
          let trailers = try await producer(writer)
          series.handled[0].increment()
          return trailers
        } catch {
          series.handled[Self.code(of: error)].increment()
          throw error
        }
      }
      return StreamingServerResponse(accepted: .success(contents))
    }
  }

  private static func code(of error: any Error) -> Int {
    if let error = error as? RPCError { return error.code.rawValue }
    if let convertible = error as? any RPCErrorConvertible { return convertible.rpcErrorCode.rawValue }
    return RPCError.Code.unknown.rawValue
  }
}

/// A transport type used only to list the methods services register (never listens).
public struct MethodListingTransport: ServerTransport {
  public typealias Bytes = [UInt8]
  public func listen(
    streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
  ) async throws {}
  public func beginGracefulShutdown() {}
}
