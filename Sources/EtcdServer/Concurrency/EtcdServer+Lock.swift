// v3lock as etcd serves it: a lock is a key "<name>/<lease ID in hex>" on the caller's lease; the holder is the key
// with the lowest create revision under the name, and a waiter waits for every older key to be deleted.

import EtcdProto
import Foundation

extension EtcdServer {
  /// Lock: waits until the caller holds lock `name` (its key survives only while the lease lives).
  public func lock(_ request: V3lockpb_LockRequest, caller: Caller) async throws(ServerError) -> V3lockpb_LockResponse {
    let prefix = [UInt8](request.name) + [UInt8(ascii: "/")]
    let key = prefix + Array(String(UInt64(bitPattern: request.lease), radix: 16).utf8)
    let createRevision = try await createOrFind(key: key, value: [], lease: request.lease, caller: caller)
    try await waitForDeletions(prefix: prefix, maxCreateRevision: createRevision - 1, caller: caller)
    var response = V3lockpb_LockResponse()
    response.key = Data(key)
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// Unlock: deletes the lock's key.
  public func unlock(_ request: V3lockpb_UnlockRequest, caller: Caller) async throws(ServerError)
    -> V3lockpb_UnlockResponse
  {
    var delete = Etcdserverpb_DeleteRangeRequest()
    delete.key = request.key
    let deleted = try await deleteRange(delete, caller: caller)
    var response = V3lockpb_UnlockResponse()
    response.header = deleted.header
    return response
  }

  /// Puts `key` with `value` on `lease` unless it exists (one Txn); returns its create revision.
  func createOrFind(key: [UInt8], value: [UInt8], lease: Int64, caller: Caller) async throws(ServerError) -> Int64 {
    var absent = Etcdserverpb_Compare()
    absent.key = Data(key)
    absent.target = .create
    absent.result = .equal
    absent.createRevision = 0
    var put = Etcdserverpb_RequestOp()
    put.requestPut.key = Data(key)
    put.requestPut.value = Data(value)
    put.requestPut.lease = lease
    var get = Etcdserverpb_RequestOp()
    get.requestRange.key = Data(key)
    var txn = Etcdserverpb_TxnRequest()
    txn.compare = [absent]
    txn.success = [put]
    txn.failure = [get]
    let answer = try await self.txn(txn, caller: caller)
    if answer.succeeded { return answer.header.revision }
    guard let existing = answer.responses.first?.responseRange.kvs.first else {
      throw .internalError("the key \(String(decoding: key, as: UTF8.self)) vanished between compare and read")
    }
    return existing.createRevision
  }
}
