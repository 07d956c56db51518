// The credentials of a gRPC request, as etcd 3.4 reads them: the token from metadata "token" (what etcdctl sends),
// else "authorization"; the common name of the verified client certificate the listener put into the metadata.
// `unary` runs a call with them and maps its `ServerError` to etcd's status.

import EtcdServer
import GRPCCore

extension Caller {
  /// The caller of a gRPC request with `metadata`.
  init(metadata: Metadata) {
    self.init(
      token: Self.first(metadata, "token") ?? Self.first(metadata, "authorization"),
      commonName: PeerIdentity.commonName(in: metadata), viaGateway: false)
  }

  private static func first(_ metadata: Metadata, _ key: String) -> String? {
    for value in metadata[stringValues: key] { return value }
    return nil
  }
}

/// Runs a unary call with its caller, turning its `ServerError` into the gRPC error etcd sends.
func unary<Input: Sendable, Output: Sendable>(
  _ request: ServerRequest<Input>, _ body: (Input, Caller) async throws(ServerError) -> Output
) async throws -> ServerResponse<Output> {
  let caller = Caller(metadata: request.metadata)
  return ServerResponse(message: try await serving { () async throws(ServerError) in
    try await body(request.message, caller)
  })
}
