// Watch requests and responses between etcd's protobuf messages and the watch hub's types.

import EtcdProto
import Foundation
import MVCC

extension WatchCreateRequest {
  public init(_ p: Etcdserverpb_WatchCreateRequest) {
    var filters: WatchFilters = []
    for filter in p.filters {
      switch filter {
      case .noput: filters.insert(.noPut)
      case .nodelete: filters.insert(.noDelete)
      case .UNRECOGNIZED: break
      }
    }
    self.init(
      range: KeyRange(key: [UInt8](p.key), end: [UInt8](p.rangeEnd)), startRevision: p.startRevision,
      progressNotify: p.progressNotify, filters: filters, prevKV: p.prevKv, watchID: p.watchID, fragment: p.fragment)
  }
}

extension Mvccpb_Event {
  public init(_ event: Event) {
    self.init()
    type = event.kind == .put ? .put : .delete
    kv = Mvccpb_KeyValue(event.kv)
    if let previous = event.prevKV { prevKv = Mvccpb_KeyValue(previous) }
  }
}

extension EtcdServer {
  /// The protobuf form of a watch response, with this member's header at the response's revision.
  public func watchResponse(_ r: WatchResponse) -> Etcdserverpb_WatchResponse {
    var response = Etcdserverpb_WatchResponse()
    response.header = header(revision: r.revision)
    response.watchID = r.watchID
    response.created = r.created
    response.canceled = r.canceled
    response.compactRevision = r.compactRevision
    response.cancelReason = r.cancelReason
    response.fragment = r.fragment
    response.events = r.events.map(Mvccpb_Event.init)
    return response
  }
}
