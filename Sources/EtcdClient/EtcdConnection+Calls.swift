import EtcdProto
import Foundation
import GRPCCore

extension EtcdConnection {
  /// Maintenance.Status of this member.
  public func status() async throws(EtcdClientError) -> EndpointStatus {
    let response = try await call("Status") { grpc in
      try await Etcdserverpb_Maintenance.Client(wrapping: grpc).status(Etcdserverpb_StatusRequest(), options: options)
    }
    return EndpointStatus(
      endpoint: endpoint, memberID: response.header.memberID, clusterID: response.header.clusterID,
      version: response.version, dbSize: response.dbSize, dbSizeInUse: response.dbSizeInUse,
      leaderID: response.leader, raftIndex: response.raftIndex, raftTerm: response.raftTerm,
      raftAppliedIndex: response.raftAppliedIndex, revision: response.header.revision,
      isLearner: response.isLearner, errors: response.errors)
  }

  /// Cluster.MemberList as this member sees it.
  public func memberList() async throws(EtcdClientError) -> MemberList {
    let response = try await call("MemberList") { grpc in
      try await Etcdserverpb_Cluster.Client(wrapping: grpc).memberList(Etcdserverpb_MemberListRequest(), options: options)
    }
    return MemberList(clusterID: response.header.clusterID, answeredBy: response.header.memberID,
                      members: response.members.map(Member.init))
  }

  /// KV.Range of one key, or of every key with that prefix; at `revision` when it is not 0 (a compacted revision
  /// fails with "etcdserver: mvcc: required revision has been compacted").
  public func get(
    _ key: String, prefix: Bool = false, serializable: Bool = false, revision: Int64 = 0
  ) async throws(EtcdClientError) -> RangeResult {
    var request = Etcdserverpb_RangeRequest()
    request.key = Data(key.utf8)
    if prefix { request.rangeEnd = Self.prefixEnd(of: request.key) }
    request.serializable = serializable
    request.revision = revision
    let response = try await range(request)
    return RangeResult(
      revision: response.header.revision,
      kvs: response.kvs.map {
        KeyValue(key: $0.key, value: $0.value, createRevision: $0.createRevision, modRevision: $0.modRevision,
                 version: $0.version, lease: $0.lease)
      },
      count: response.count, more: response.more)
  }

  /// How many keys exist (a count-only Range over the whole key space, as `etcdctl get "" --from-key
  /// --count-only` asks), at `revision` (0: now), with the cluster's current revision.
  public func countKeys(revision: Int64 = 0) async throws(EtcdClientError) -> (count: Int64, revision: Int64) {
    var request = Etcdserverpb_RangeRequest()
    request.key = Data([0])
    request.rangeEnd = Data([0])
    request.countOnly = true
    request.revision = revision
    let response = try await range(request)
    return (response.count, response.header.revision)
  }

  private func range(_ request: Etcdserverpb_RangeRequest) async throws(EtcdClientError) -> Etcdserverpb_RangeResponse {
    try await call("Range") { grpc in try await Etcdserverpb_KV.Client(wrapping: grpc).range(request, options: options) }
  }

  /// KV.Put; returns the revision of the write.
  @discardableResult
  public func put(_ key: String, _ value: String) async throws(EtcdClientError) -> Int64 {
    var request = Etcdserverpb_PutRequest()
    request.key = Data(key.utf8)
    request.value = Data(value.utf8)
    let response = try await call("Put") { grpc in
      try await Etcdserverpb_KV.Client(wrapping: grpc).put(request, options: options)
    }
    return response.header.revision
  }

  /// Health as `etcdctl endpoint health` decides it: a linearizable Get of "health" that succeeds, or fails only
  /// with "permission denied", proves the member reaches a quorum. Never throws: failures are in the result.
  public func health() async -> EndpointHealth {
    let start = ContinuousClock.now
    do {
      _ = try await get("health")
      return EndpointHealth(endpoint: endpoint, isHealthy: true, took: ContinuousClock.now - start, error: nil)
    } catch {
      if error.serverMessage == EtcdClientError.permissionDeniedMessage {
        return EndpointHealth(endpoint: endpoint, isHealthy: true, took: ContinuousClock.now - start, error: nil)
      }
      return EndpointHealth(endpoint: endpoint, isHealthy: false, took: ContinuousClock.now - start, error: error.description)
    }
  }

  /// The range end that selects every key starting with `key` (etcd's prefix rule; "\0" for an empty key).
  static func prefixEnd(of key: Data) -> Data {
    var bytes = [UInt8](key)
    while let last = bytes.last {
      if last < 0xff {
        bytes[bytes.count - 1] = last + 1
        return Data(bytes)
      }
      bytes.removeLast()
    }
    return Data([0])
  }
}
