// etcdserverpb.Watch over a member: one hub stream per gRPC call. Requests (create, cancel, progress) are read in
// one task while responses are written in another, so a slow reader of events never holds up the requests.

import EtcdProto
import EtcdServer
import GRPCCore
import MVCC

/// The Watch gRPC service.
public struct WatchService: Etcdserverpb_Watch.SimpleServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func watch(
    request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>, response: RPCWriter<Etcdserverpb_WatchResponse>,
    context: ServerContext
  ) async throws {
    let stream = server.watchHub.openStream(maxResponseBytes: server.settings.maxRequestBytes)
    defer { stream.close() }
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for try await message in request {
          switch message.requestUnion {
          case .createRequest(let create): stream.create(WatchCreateRequest(create))
          case .cancelRequest(let cancel): stream.cancel(watchID: cancel.watchID)
          case .progressRequest: stream.requestProgress()
          case nil: break
          }
        }
        // The client closed its side: etcd ends the call.
        stream.close()
      }
      group.addTask {
        for await answer in stream { try await response.write(server.watchResponse(answer)) }
      }
      try await group.next()
      group.cancelAll()
    }
  }
}
