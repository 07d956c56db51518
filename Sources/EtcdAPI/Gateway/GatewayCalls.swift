// Every call the JSON gateway makes into the member, in one place (the Auth routes, plain forwards, call the member
// from `JSONGateway.authRoutes` with `caller`), each with the request's `Caller` (its Authorization token, marked as
// proxied by the gateway, so a TLS common name never stands in for a user).

import EtcdProto
import EtcdServer
import Foundation
import MVCC

/// The member as the gateway calls it, for one request.
struct GatewayCalls: Sendable {
  let server: EtcdServer
  /// Who sent the request: the `Authorization` header's token, marked as proxied by the gateway.
  let caller: Caller

  init(server: EtcdServer, request: HTTPRequest) {
    self.server = server
    let token = request.headers.first(name: "Authorization")
    caller = Caller(token: token.flatMap { $0.isEmpty ? nil : $0 }, viaGateway: true)
  }

  // MARK: KV

  func range(_ r: Etcdserverpb_RangeRequest) async throws(ServerError) -> Etcdserverpb_RangeResponse {
    try await server.range(r, caller: caller)
  }

  func put(_ r: Etcdserverpb_PutRequest) async throws(ServerError) -> Etcdserverpb_PutResponse {
    try await server.put(r, caller: caller)
  }

  func deleteRange(_ r: Etcdserverpb_DeleteRangeRequest) async throws(ServerError) -> Etcdserverpb_DeleteRangeResponse {
    try await server.deleteRange(r, caller: caller)
  }

  func txn(_ r: Etcdserverpb_TxnRequest) async throws(ServerError) -> Etcdserverpb_TxnResponse {
    try await server.txn(r, caller: caller)
  }

  func compact(_ r: Etcdserverpb_CompactionRequest) async throws(ServerError) -> Etcdserverpb_CompactionResponse {
    try await server.compact(r, caller: caller)
  }

  // MARK: Lease

  func leaseGrant(_ r: Etcdserverpb_LeaseGrantRequest) async throws(ServerError) -> Etcdserverpb_LeaseGrantResponse {
    try await server.leaseGrant(r, caller: caller)
  }

  func leaseRevoke(_ r: Etcdserverpb_LeaseRevokeRequest) async throws(ServerError) -> Etcdserverpb_LeaseRevokeResponse {
    try await server.leaseRevoke(r, caller: caller)
  }

  func leaseKeepAlive(_ r: Etcdserverpb_LeaseKeepAliveRequest) throws(ServerError) -> Etcdserverpb_LeaseKeepAliveResponse {
    try server.leaseKeepAlive(r, caller: caller)
  }

  func leaseTimeToLive(_ r: Etcdserverpb_LeaseTimeToLiveRequest) async throws(ServerError)
    -> Etcdserverpb_LeaseTimeToLiveResponse
  {
    try server.leaseTimeToLive(r, caller: caller)
  }

  func leaseLeases(_ r: Etcdserverpb_LeaseLeasesRequest) async throws(ServerError) -> Etcdserverpb_LeaseLeasesResponse {
    server.leaseLeases(caller: caller)
  }

  // MARK: Cluster

  func memberList(_ r: Etcdserverpb_MemberListRequest) async throws(ServerError) -> Etcdserverpb_MemberListResponse {
    server.memberList()
  }

  // MARK: Maintenance

  func status(_ r: Etcdserverpb_StatusRequest) async throws(ServerError) -> Etcdserverpb_StatusResponse {
    try server.status(caller: caller)
  }

  func alarm(_ r: Etcdserverpb_AlarmRequest) async throws(ServerError) -> Etcdserverpb_AlarmResponse {
    try await server.alarm(r, caller: caller)
  }

  func defragment(_ r: Etcdserverpb_DefragmentRequest) async throws(ServerError) -> Etcdserverpb_DefragmentResponse {
    try server.defragment(caller: caller)
  }

  func hash(_ r: Etcdserverpb_HashRequest) async throws(ServerError) -> Etcdserverpb_HashResponse {
    try server.hash(caller: caller)
  }

  /// MoveLeader in a one-member cluster: only the leader itself is a valid transferee (as the gRPC service answers);
  /// nil for any other target ("etcdserver: bad leader transferee").
  func moveLeader(_ r: Etcdserverpb_MoveLeaderRequest) -> Etcdserverpb_MoveLeaderResponse? {
    // etcd 3.4's MoveLeader checks no permission.
    guard r.targetID == server.memberID else { return nil }
    var answer = Etcdserverpb_MoveLeaderResponse()
    answer.header = server.header(revision: server.store.currentRevision)
    return answer
  }

  /// Opens a consistent copy of the database (the snapshot stream's source).
  func openSnapshot() throws(ServerError) -> SnapshotStream {
    try server.requireAdmin(caller)
    do { return try server.store.snapshot(in: NSTemporaryDirectory()) } catch { throw ServerError.store(error) }
  }

  // MARK: Watch

  /// A watch stream on the member's hub; requests go in with `apply`, answers come out of the stream.
  func openWatch() -> WatchStream {
    server.watchHub.openStream(maxResponseBytes: server.settings.maxRequestBytes)
  }

  /// Applies one watch request (create, cancel, progress) to `stream`; returns etcd's refusal to send for a create
  /// on keys the caller may not read.
  func apply(_ r: Etcdserverpb_WatchRequest, to stream: WatchStream) -> Etcdserverpb_WatchResponse? {
    switch r.requestUnion {
    case .createRequest(let create):
      guard server.isWatchPermitted(create, caller: caller) else { return server.watchPermissionDenied(create) }
      stream.create(WatchCreateRequest(create))
    case .cancelRequest(let cancel): stream.cancel(watchID: cancel.watchID)
    case .progressRequest: stream.requestProgress()
    case nil: break
    }
    return nil
  }

  func watchResponse(_ answer: WatchResponse) -> Etcdserverpb_WatchResponse { server.watchResponse(answer) }

  // MARK: Election and lock

  func campaign(_ r: V3electionpb_CampaignRequest) async throws(ServerError) -> V3electionpb_CampaignResponse {
    try await server.campaign(r, caller: caller)
  }

  func proclaim(_ r: V3electionpb_ProclaimRequest) async throws(ServerError) -> V3electionpb_ProclaimResponse {
    try await server.proclaim(r, caller: caller)
  }

  func leader(_ r: V3electionpb_LeaderRequest) async throws(ServerError) -> V3electionpb_LeaderResponse {
    try await server.leader(r, caller: caller)
  }

  func observe(
    _ r: V3electionpb_LeaderRequest, send: (V3electionpb_LeaderResponse) async throws -> Void
  ) async throws {
    try await server.observe(r, caller: caller, send: send)
  }

  func resign(_ r: V3electionpb_ResignRequest) async throws(ServerError) -> V3electionpb_ResignResponse {
    try await server.resign(r, caller: caller)
  }

  func lock(_ r: V3lockpb_LockRequest) async throws(ServerError) -> V3lockpb_LockResponse {
    try await server.lock(r, caller: caller)
  }

  func unlock(_ r: V3lockpb_UnlockRequest) async throws(ServerError) -> V3lockpb_UnlockResponse {
    try await server.unlock(r, caller: caller)
  }
}

