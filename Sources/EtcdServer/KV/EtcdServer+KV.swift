// The KV service of a member (etcd's RaftKV): Range, Put, DeleteRange, Txn and Compact, answered with etcd's headers.

import EtcdProto
import MVCC

extension EtcdServer {
  /// Range: serializable reads answer from the local store at once; linearizable ones after a ReadIndex barrier.
  public func range(_ request: Etcdserverpb_RangeRequest) async throws(ServerError) -> Etcdserverpb_RangeResponse {
    if !request.serializable { try await linearizableBarrier() }
    let result: RangeResponse
    do { result = try store.range(RangeRequest(request)) } catch { throw .store(error) }
    var response = Etcdserverpb_RangeResponse(result)
    response.header = header(revision: result.revision)
    return response
  }

  public func put(_ request: Etcdserverpb_PutRequest) async throws(ServerError) -> Etcdserverpb_PutResponse {
    guard case .put(var response, let revision) = try await propose(.put(request)) else { throw Self.mismatch }
    response.header = header(revision: revision)
    return response
  }

  public func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest) async throws(ServerError)
    -> Etcdserverpb_DeleteRangeResponse
  {
    guard case .deleteRange(var response, let revision) = try await propose(.deleteRange(request)) else {
      throw Self.mismatch
    }
    response.header = header(revision: revision)
    return response
  }

  /// Txn: a transaction that only reads runs locally after the linearizable barrier (as etcd does); any other goes
  /// through Raft.
  public func txn(_ request: Etcdserverpb_TxnRequest) async throws(ServerError) -> Etcdserverpb_TxnResponse {
    if request.isReadOnly {
      try await linearizableBarrier()
      let result: TxnResponse
      do { result = try store.txn(TxnRequest(request)) } catch { throw .store(error) }
      var response = Etcdserverpb_TxnResponse(result)
      response.header = header(revision: result.revision)
      return response
    }
    guard case .txn(var response, let revision) = try await propose(.txn(request)) else { throw Self.mismatch }
    response.header = header(revision: revision)
    return response
  }

  public func compact(_ request: Etcdserverpb_CompactionRequest) async throws(ServerError)
    -> Etcdserverpb_CompactionResponse
  {
    guard case .compaction(let revision) = try await propose(.compaction(request)) else { throw Self.mismatch }
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
