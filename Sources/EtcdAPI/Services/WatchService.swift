// etcdserverpb.Watch over a member: one hub stream per gRPC call. Requests (create, cancel, progress) are read in
// one task while responses are written in another, so a slow reader of events never holds up the requests. A create
// the caller may not read is answered created and canceled with etcd's permission-denied reason (the stream stays).

import EtcdProto
import EtcdServer
import GRPCCore
import MVCC

/// The Watch gRPC service.
public struct WatchService: Etcdserverpb_Watch.ServiceProtocol {
  let server: EtcdServer

  public init(server: EtcdServer) { self.server = server }

  public func watch(request: StreamingServerRequest<Etcdserverpb_WatchRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<Etcdserverpb_WatchResponse>
  {
    let caller = Caller(metadata: request.metadata)
    return StreamingServerResponse { [server] writer in
      let response = SerialWriter(writer)
      let stream = server.openWatchStream()
      defer { stream.close() }
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          for try await message in request.messages {
            if let refused = server.apply(message, to: stream, caller: caller) { try await response.write(refused) }
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
      return [:]
    }
  }
}
