// The Watch service of a member: one hub stream per client stream, fed the client's requests. Shared by the gRPC
// service and the JSON gateway.

import EtcdProto
import MVCC

extension EtcdServer {
  /// A watch stream on the member's hub (responses larger than --max-request-bytes are fragmented on request).
  public func openWatchStream() -> WatchStream {
    watchHub.openStream(maxResponseBytes: settings.maxRequestBytes)
  }

  /// Applies one client request (create, cancel, progress) to `stream`. A create on keys `caller` may not read is
  /// not made: the answer to send instead (created and canceled with etcd's permission-denied reason) is returned.
  public func apply(_ request: Etcdserverpb_WatchRequest, to stream: WatchStream, caller: Caller)
    -> Etcdserverpb_WatchResponse?
  {
    switch request.requestUnion {
    case .createRequest(let create):
      guard isWatchPermitted(create, caller: caller) else { return watchPermissionDenied(create) }
      stream.create(WatchCreateRequest(create))
    case .cancelRequest(let cancel): stream.cancel(watchID: cancel.watchID)
    case .progressRequest: stream.requestProgress()
    case nil: break
    }
    return nil
  }
}
