// The one table from server errors to gRPC statuses: etcd's code and its exact text, which clients match on.

import EtcdServer
import GRPCCore

extension ServerError {
  /// The gRPC error a client receives.
  var rpcError: RPCError {
    RPCError(code: code.rpcCode, message: description)
  }
}

extension StatusCode {
  var rpcCode: RPCError.Code {
    switch self {
    case .invalidArgument: .invalidArgument
    case .notFound: .notFound
    case .failedPrecondition: .failedPrecondition
    case .outOfRange: .outOfRange
    case .resourceExhausted: .resourceExhausted
    case .unavailable: .unavailable
    case .dataLoss: .dataLoss
    case .internal: .internalError
    case .permissionDenied: .permissionDenied
    case .unauthenticated: .unauthenticated
    case .deadlineExceeded: .deadlineExceeded
    case .canceled: .cancelled
    case .unknown: .unknown
    }
  }
}

/// Runs a server call, turning its `ServerError` into the gRPC error etcd sends.
func serving<T>(_ body: () async throws(ServerError) -> T) async throws -> T {
  do { return try await body() } catch { throw error.rpcError }
}
