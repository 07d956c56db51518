// The KV service of a member (etcd's RaftKV): Range, Put, DeleteRange, Txn and Compact, answered with etcd's headers.

import EtcdProto
import MVCC

extension EtcdServer {
  /// Range: serializable reads answer from the local store at once; linearizable ones after a ReadIndex barrier.
  /// With auth on, `caller` needs read permission on the range.
  public func range(_ request: Etcdserverpb_RangeRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_RangeResponse
  {
    try request.check()
    if !request.serializable { try await linearizableBarrier() }
    let auth = self.auth
    let result: RangeResponse = try serialized(caller) { (identity) throws(AuthError) in
      try auth.isRangePermitted(identity, key: [UInt8](request.key), rangeEnd: [UInt8](request.rangeEnd))
    } read: { () throws(ServerError) in
      do throws(MVCCError) { return try store.range(RangeRequest(request)) } catch { throw .store(error) }
    }
    var response = Etcdserverpb_RangeResponse(result)
    response.header = header(revision: result.revision)
    return response
  }

  /// Put (checked at apply time: write permission, and read permission with prev_kv).
  public func put(_ request: Etcdserverpb_PutRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_PutResponse
  {
    try request.check()
    guard case .put(var response, let revision) = try await propose(.put(request), caller: caller) else {
      throw Self.mismatch
    }
    response.header = header(revision: revision)
    return response
  }

  /// DeleteRange (checked at apply time: write permission, and read permission with prev_kv).
  public func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_DeleteRangeResponse
  {
    try request.check()
    guard case .deleteRange(var response, let revision) = try await propose(.deleteRange(request), caller: caller)
    else {
      throw Self.mismatch
    }
    response.header = header(revision: revision)
    return response
  }

  /// Txn: a transaction that only reads runs locally after the linearizable barrier (as etcd does); any other goes
  /// through Raft. Every compared key and every operation (both branches, nested too) is checked for `caller`.
  public func txn(_ request: Etcdserverpb_TxnRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_TxnResponse
  {
    try request.check(maxTxnOps: settings.maxTxnOps)
    if request.isReadOnly {
      try await linearizableBarrier()
      let auth = self.auth
      let result: TxnResponse = try serialized(caller) { (identity) throws(AuthError) in
        try auth.checkTxn(request, as: identity)
      } read: { () throws(ServerError) in
        do throws(MVCCError) { return try store.txn(TxnRequest(request)) } catch { throw .store(error) }
      }
      var response = Etcdserverpb_TxnResponse(result)
      response.header = header(revision: result.revision)
      return response
    }
    guard case .txn(var response, let revision) = try await propose(.txn(request), caller: caller) else {
      throw Self.mismatch
    }
    response.header = header(revision: revision)
    return response
  }

  /// Compact (etcd 3.4 checks no permission for it).
  public func compact(_ request: Etcdserverpb_CompactionRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_CompactionResponse
  {
    guard case .compaction(let revision) = try await propose(.compaction(request), caller: caller) else {
      throw Self.mismatch
    }
    var response = Etcdserverpb_CompactionResponse()
    response.header = header(revision: revision)
    return response
  }

  static var mismatch: ServerError { .internalError("the applier answered a request with another request's response") }
}

extension Etcdserverpb_TxnRequest {
  /// True when no operation on either branch (nested ones included) writes: checked on the message itself, so a
  /// write transaction is converted to the store's types once, by the applier, not also here.
  var isReadOnly: Bool {
    func readOnly(_ ops: [Etcdserverpb_RequestOp]) -> Bool {
      ops.allSatisfy { op in
        switch op.request {
        case .requestRange, nil: return true
        case .requestPut, .requestDeleteRange: return false
        case .requestTxn(let nested): return nested.isReadOnly
        }
      }
    }
    return readOnly(success) && readOnly(failure)
  }
}
