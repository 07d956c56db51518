import EtcdProto
import Foundation
import GRPCCore

/// Cluster membership changes (the Cluster service), as `etcdctl member add/promote/remove/update` and
/// `etcdctl move-leader` make them. Each returns the membership the server reports after the change.
extension EtcdConnection {
  /// Cluster.MemberAdd: announces a new member by its peer URLs, as a voter or as a non-voting learner.
  /// The member's process must then be started with `--initial-cluster-state existing` and the returned
  /// membership (see `initialClusterFlag(forNewMember:named:in:)`). etcd refuses any addition while the answering
  /// member has not been connected to every voter for the last 5 s ("etcdserver: unhealthy cluster",
  /// `EtcdClientError.isUnhealthyCluster`, e.g. right after a start: retry), and a voter while too few members have
  /// started ("etcdserver: re-configuration failed due to not enough started members").
  /// - Returns: The added member (unnamed and without client URLs until it starts) and the whole membership.
  public func memberAdd(peerURLs: [String], isLearner: Bool) async throws(EtcdClientError) -> (added: Member, members: [Member]) {
    var request = Etcdserverpb_MemberAddRequest()
    request.peerUrls = peerURLs
    request.isLearner = isLearner
    let response = try await call("MemberAdd") { grpc in
      try await Etcdserverpb_Cluster.Client(wrapping: grpc).memberAdd(request, options: options)
    }
    return (added: Member(response.member), members: response.members.map(Member.init))
  }

  /// Cluster.MemberPromote: makes a learner a voter. etcd refuses while the learner lags the leader
  /// ("etcdserver: can only promote a learner member which is in sync with leader", see
  /// `EtcdClientError.isLearnerNotInSync`): retry after a short wait.
  public func memberPromote(id: UInt64) async throws(EtcdClientError) -> [Member] {
    var request = Etcdserverpb_MemberPromoteRequest()
    request.id = id
    let response = try await call("MemberPromote") { grpc in
      try await Etcdserverpb_Cluster.Client(wrapping: grpc).memberPromote(request, options: options)
    }
    return response.members.map(Member.init)
  }

  /// MemberPromote, retried every `interval` while etcd answers that the learner is not in sync yet, for up to
  /// `timeout`; then the last refusal is thrown. Other errors are thrown at once.
  public func memberPromote(
    id: UInt64, retryingFor timeout: Duration, every interval: Duration = .milliseconds(500)
  ) async throws(EtcdClientError) -> [Member] {
    let deadline = ContinuousClock.now + timeout
    while true {
      do {
        return try await memberPromote(id: id)
      } catch {
        guard error.isLearnerNotInSync, ContinuousClock.now + interval < deadline else { throw error }
      }
      try? await Task.sleep(for: interval)
    }
  }

  /// Cluster.MemberRemove: removes a member from the cluster; its process stops by itself once it learns.
  /// Refused with "etcdserver: unhealthy cluster" when the removal would leave too few active voters for a quorum
  /// (or right after a start, until the members have been connected for 5 s).
  public func memberRemove(id: UInt64) async throws(EtcdClientError) -> [Member] {
    var request = Etcdserverpb_MemberRemoveRequest()
    request.id = id
    let response = try await call("MemberRemove") { grpc in
      try await Etcdserverpb_Cluster.Client(wrapping: grpc).memberRemove(request, options: options)
    }
    return response.members.map(Member.init)
  }

  /// Cluster.MemberUpdate: replaces a member's advertised peer URLs.
  public func memberUpdate(id: UInt64, peerURLs: [String]) async throws(EtcdClientError) -> [Member] {
    var request = Etcdserverpb_MemberUpdateRequest()
    request.id = id
    request.peerUrls = peerURLs
    let response = try await call("MemberUpdate") { grpc in
      try await Etcdserverpb_Cluster.Client(wrapping: grpc).memberUpdate(request, options: options)
    }
    return response.members.map(Member.init)
  }

  /// Maintenance.MoveLeader: hands leadership to the voter `id`. Only the current leader accepts it (others
  /// answer "etcdserver: not leader"; `EtcdClient.moveLeader(to:)` finds the leader itself). Returns once the
  /// transfer is done.
  public func moveLeader(to id: UInt64) async throws(EtcdClientError) {
    var request = Etcdserverpb_MoveLeaderRequest()
    request.targetID = id
    _ = try await call("MoveLeader") { grpc in
      try await Etcdserverpb_Maintenance.Client(wrapping: grpc).moveLeader(request, options: options)
    }
  }
}

extension Member {
  init(_ member: Etcdserverpb_Member) {
    self.init(id: member.id, name: member.name, peerURLs: member.peerUrls, clientURLs: member.clientUrls,
              isLearner: member.isLearner)
  }
}

/// The `--initial-cluster` value a newly added member starts with, as `etcdctl member add` prints it
/// (`ETCD_INITIAL_CLUSTER`): every started member by name with each of its peer URLs, plus the new member under
/// `name`. Members that have not started yet (no name) other than the new one are left out, as etcdctl does.
public func initialClusterFlag(forNewMember newMemberID: UInt64, named name: String, in members: [Member]) -> String {
  var parts: [String] = []
  for member in members {
    let memberName = member.id == newMemberID ? name : member.name
    guard !memberName.isEmpty else { continue }
    for url in member.peerURLs { parts.append("\(memberName)=\(url)") }
  }
  return parts.joined(separator: ",")
}
