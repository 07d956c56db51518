// The Lease service of a member: grants and revokes go through Raft; keep-alives, time-to-live and the lease list
// are answered by the leader's lessor.

import EtcdProto
import Foundation
import MVCC

extension EtcdServer {
  /// LeaseGrant: a request without an ID gets one chosen here, before proposing (as etcd does).
  public func leaseGrant(_ request: Etcdserverpb_LeaseGrantRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_LeaseGrantResponse
  {
    var request = request
    if request.id == 0 { request.id = leases.newLeaseID() }
    guard case .leaseGrant(var response, let revision) = try await propose(.leaseGrant(request), caller: caller) else {
      throw Self.mismatch
    }
    response.header = header(revision: revision)
    return response
  }

  /// LeaseRevoke: with auth on, `caller` needs write permission on every key attached to the lease (at apply time).
  public func leaseRevoke(_ request: Etcdserverpb_LeaseRevokeRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_LeaseRevokeResponse
  {
    guard case .leaseRevoke(let revision) = try await propose(.leaseRevoke(request), caller: caller) else {
      throw Self.mismatch
    }
    var response = Etcdserverpb_LeaseRevokeResponse()
    response.header = header(revision: revision)
    return response
  }

  /// One keep-alive: the lease's TTL renewed from now (TTL 0 for a lease that does not exist, as etcd answers).
  /// etcd 3.4 checks no permission for keep-alives, time-to-live or the lease list.
  public func leaseKeepAlive(_ request: Etcdserverpb_LeaseKeepAliveRequest, caller: Caller) throws(ServerError)
    -> Etcdserverpb_LeaseKeepAliveResponse
  {
    var response = Etcdserverpb_LeaseKeepAliveResponse()
    response.id = request.id
    do {
      response.ttl = try leases.renew(id: request.id, now: clock.now())
    } catch .leaseNotFound {
      response.ttl = 0
    } catch {
      throw .store(error)
    }
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// LeaseTimeToLive (TTL -1 for a lease that does not exist, as etcd answers).
  public func leaseTimeToLive(_ request: Etcdserverpb_LeaseTimeToLiveRequest, caller: Caller) throws(ServerError)
    -> Etcdserverpb_LeaseTimeToLiveResponse
  {
    var response = Etcdserverpb_LeaseTimeToLiveResponse()
    response.header = header(revision: store.currentRevision)
    response.id = request.id
    guard let found = leases.timeToLive(id: request.id, now: clock.now()) else {
      response.ttl = -1
      return response
    }
    response.ttl = found.remainingTTL
    response.grantedTtl = found.grantedTTL
    if request.keys { response.keys = found.keys.map { Data($0) } }
    return response
  }

  /// LeaseLeases: every lease's ID.
  public func leaseLeases(caller: Caller) -> Etcdserverpb_LeaseLeasesResponse {
    var response = Etcdserverpb_LeaseLeasesResponse()
    response.header = header(revision: store.currentRevision)
    response.leases = leases.records().map { record in
      var status = Etcdserverpb_LeaseStatus()
      status.id = record.id
      return status
    }
    return response
  }
}
