// v3election as etcd serves it: a candidate's key is "<name>/<lease ID in hex>"; the leader is the key with the
// lowest create revision under the name; its value is the proclaimed value.

import EtcdProto
import Foundation
import MVCC

extension EtcdServer {
  static let notLeader = ServerError.election("election: not leader")
  static let noLeader = ServerError.election("election: no leader")

  /// Campaign: waits until the caller leads election `name`, with `value` proclaimed.
  public func campaign(_ request: V3electionpb_CampaignRequest, caller: Caller) async throws(ServerError)
    -> V3electionpb_CampaignResponse
  {
    let prefix = [UInt8](request.name) + [UInt8(ascii: "/")]
    let key = prefix + Array(String(UInt64(bitPattern: request.lease), radix: 16).utf8)
    let createRevision = try await createOrFind(key: key, value: [UInt8](request.value), lease: request.lease, caller: caller)
    var leader = V3electionpb_LeaderKey()
    leader.name = request.name
    leader.key = Data(key)
    leader.rev = createRevision
    leader.lease = request.lease
    // A candidate campaigning again with another value proclaims it (as etcd's Campaign does).
    var current = Etcdserverpb_RangeRequest()
    current.key = Data(key)
    if let kv = try await range(current, caller: caller).kvs.first, kv.value != request.value {
      try await proclaim(leader: leader, value: request.value, caller: caller)
    }
    try await waitForDeletions(prefix: prefix, maxCreateRevision: createRevision - 1, caller: caller)
    var response = V3electionpb_CampaignResponse()
    response.leader = leader
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// Proclaim: the leader updates its value; refused unless `leader` still holds its key.
  public func proclaim(_ request: V3electionpb_ProclaimRequest, caller: Caller) async throws(ServerError)
    -> V3electionpb_ProclaimResponse
  {
    let revision = try await proclaim(leader: request.leader, value: request.value, caller: caller)
    var response = V3electionpb_ProclaimResponse()
    response.header = header(revision: revision)
    return response
  }

  @discardableResult
  private func proclaim(leader: V3electionpb_LeaderKey, value: Data, caller: Caller) async throws(ServerError)
    -> Int64
  {
    var held = Etcdserverpb_Compare()
    held.key = leader.key
    held.target = .create
    held.result = .equal
    held.createRevision = leader.rev
    var put = Etcdserverpb_RequestOp()
    put.requestPut.key = leader.key
    put.requestPut.value = value
    put.requestPut.lease = leader.lease
    var txn = Etcdserverpb_TxnRequest()
    txn.compare = [held]
    txn.success = [put]
    let answer = try await self.txn(txn, caller: caller)
    guard answer.succeeded else { throw Self.notLeader }
    return answer.header.revision
  }

  /// Leader: the current leader's key-value ("election: no leader" when nobody campaigns).
  public func leader(_ request: V3electionpb_LeaderRequest, caller: Caller) async throws(ServerError)
    -> V3electionpb_LeaderResponse
  {
    guard let (kv, revision) = try await currentLeader(name: [UInt8](request.name), caller: caller) else { throw Self.noLeader }
    var response = V3electionpb_LeaderResponse()
    response.kv = kv
    response.header = header(revision: revision)
    return response
  }

  /// Observe: calls `send` with the leader now and after every change of leader or value, until canceled.
  public func observe(
    _ request: V3electionpb_LeaderRequest, caller: Caller, send: (V3electionpb_LeaderResponse) async throws -> Void
  ) async throws {
    let prefix = [UInt8](request.name) + [UInt8(ascii: "/")]
    var last: Mvccpb_KeyValue?
    while !Task.isCancelled {
      guard let (kv, revision) = try await currentLeader(name: [UInt8](request.name), caller: caller) else {
        // Nobody leads: wait for a candidate to appear.
        _ = try await firstWatchResponse(on: .prefix(prefix), after: store.currentRevision)
        continue
      }
      if kv != last {
        var response = V3electionpb_LeaderResponse()
        response.kv = kv
        response.header = header(revision: revision)
        try await send(response)
        last = kv
      }
      _ = try await firstWatchResponse(on: KeyRange(key: [UInt8](kv.key)), after: revision)
    }
  }

  /// Resign: deletes the leader's key if it still holds it.
  public func resign(_ request: V3electionpb_ResignRequest, caller: Caller) async throws(ServerError)
    -> V3electionpb_ResignResponse
  {
    var held = Etcdserverpb_Compare()
    held.key = request.leader.key
    held.target = .create
    held.result = .equal
    held.createRevision = request.leader.rev
    var delete = Etcdserverpb_RequestOp()
    delete.requestDeleteRange.key = request.leader.key
    var txn = Etcdserverpb_TxnRequest()
    txn.compare = [held]
    txn.success = [delete]
    let answer = try await self.txn(txn, caller: caller)
    var response = V3electionpb_ResignResponse()
    response.header = answer.header
    return response
  }

  /// The key with the lowest create revision under "<name>/", and the read's revision.
  private func currentLeader(name: [UInt8], caller: Caller) async throws(ServerError) -> (Mvccpb_KeyValue, Int64)? {
    let prefix = name + [UInt8(ascii: "/")]
    var request = Etcdserverpb_RangeRequest()
    request.key = Data(prefix)
    request.rangeEnd = Data(KeyRange.prefix(prefix).end)
    request.sortOrder = .ascend
    request.sortTarget = .create
    request.limit = 1
    let found = try await range(request, caller: caller)
    return found.kvs.first.map { ($0, found.header.revision) }
  }
}
