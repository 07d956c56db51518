// The KV requests and responses between etcd's protobuf messages (what clients send and what the Raft log holds)
// and the MVCC store's types. One place for every field, so the adapters stay thin.

import EtcdProto
import Foundation
import MVCC

extension RangeRequest {
  /// The store's form of a client Range (`serializable` is the server's concern, not the store's).
  public init(_ p: Etcdserverpb_RangeRequest) {
    self.init(
      key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd), limit: p.limit, revision: p.revision,
      sortOrder: SortOrder(rawValue: p.sortOrder.rawValue) ?? .none,
      sortTarget: SortTarget(rawValue: p.sortTarget.rawValue) ?? .key, keysOnly: p.keysOnly, countOnly: p.countOnly,
      minModRevision: p.minModRevision, maxModRevision: p.maxModRevision, minCreateRevision: p.minCreateRevision,
      maxCreateRevision: p.maxCreateRevision)
  }
}

extension PutRequest {
  public init(_ p: Etcdserverpb_PutRequest) {
    self.init(
      key: [UInt8](p.key), value: [UInt8](p.value), lease: p.lease, prevKV: p.prevKv, ignoreValue: p.ignoreValue,
      ignoreLease: p.ignoreLease)
  }
}

extension DeleteRangeRequest {
  public init(_ p: Etcdserverpb_DeleteRangeRequest) {
    self.init(key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd), prevKV: p.prevKv)
  }
}

extension Compare {
  public init(_ p: Etcdserverpb_Compare) {
    let target: Target
    switch p.target {
    case .version: target = .version(p.version)
    case .create: target = .create(p.createRevision)
    case .mod: target = .mod(p.modRevision)
    case .value: target = .value([UInt8](p.value))
    case .lease: target = .lease(p.lease)
    case .UNRECOGNIZED: target = .version(p.version)
    }
    self.init(
      key: [UInt8](p.key), rangeEnd: [UInt8](p.rangeEnd), target: target,
      result: Result(rawValue: p.result.rawValue) ?? .equal)
  }
}

extension RequestOp {
  /// nil for an operation with no request set (etcd ignores it).
  public init?(_ p: Etcdserverpb_RequestOp) {
    switch p.request {
    case .requestRange(let r): self = .range(RangeRequest(r))
    case .requestPut(let r): self = .put(PutRequest(r))
    case .requestDeleteRange(let r): self = .deleteRange(DeleteRangeRequest(r))
    case .requestTxn(let r): self = .txn(TxnRequest(r))
    case nil: return nil
    }
  }
}

extension TxnRequest {
  public init(_ p: Etcdserverpb_TxnRequest) {
    self.init(
      compare: p.compare.map(Compare.init), success: p.success.compactMap(RequestOp.init),
      failure: p.failure.compactMap(RequestOp.init))
  }
}

extension Mvccpb_KeyValue {
  public init(_ kv: KeyValue) {
    self.init()
    key = Data(kv.key)
    createRevision = kv.createRevision
    modRevision = kv.modRevision
    version = kv.version
    value = Data(kv.value)
    lease = kv.lease
  }
}

extension Etcdserverpb_RangeResponse {
  /// The response without its header (the server adds it).
  public init(_ r: RangeResponse) {
    self.init()
    kvs = r.kvs.map(Mvccpb_KeyValue.init)
    more = r.more
    count = r.count
  }
}

extension Etcdserverpb_PutResponse {
  public init(_ r: PutResponse) {
    self.init()
    if let previous = r.prevKV { prevKv = Mvccpb_KeyValue(previous) }
  }
}

extension Etcdserverpb_DeleteRangeResponse {
  public init(_ r: DeleteRangeResponse) {
    self.init()
    deleted = r.deleted
    prevKvs = r.prevKVs.map(Mvccpb_KeyValue.init)
  }
}

extension Etcdserverpb_TxnResponse {
  /// The response; nested transactions carry a header with only the revision etcd 3.4 gives them (0), the outer
  /// one gets the server's header from the caller.
  public init(_ r: TxnResponse) {
    self.init()
    succeeded = r.succeeded
    responses = r.responses.map(Etcdserverpb_ResponseOp.init)
  }
}

extension Etcdserverpb_ResponseOp {
  /// An operation's response inside a Txn: etcd 3.4 gives each a header holding only its revision (0 for a nested
  /// Txn).
  public init(_ r: ResponseOp) {
    self.init()
    switch r {
    case .range(let x):
      var response = Etcdserverpb_RangeResponse(x)
      response.header = .revisionOnly(x.revision)
      responseRange = response
    case .put(let x):
      var response = Etcdserverpb_PutResponse(x)
      response.header = .revisionOnly(x.revision)
      responsePut = response
    case .deleteRange(let x):
      var response = Etcdserverpb_DeleteRangeResponse(x)
      response.header = .revisionOnly(x.revision)
      responseDeleteRange = response
    case .txn(let x):
      var response = Etcdserverpb_TxnResponse(x)
      response.header = .revisionOnly(x.revision)
      responseTxn = response
    }
  }
}

extension Etcdserverpb_ResponseHeader {
  static func revisionOnly(_ revision: Int64) -> Etcdserverpb_ResponseHeader {
    var header = Etcdserverpb_ResponseHeader()
    header.revision = revision
    return header
  }
}
