// The Cluster service of a member (etcd's MemberAdd/Remove/Update/Promote/List): changes are checked as etcd 3.4
// checks them (admin only while auth is on; --strict-reconfig-check keeps enough started voters for a quorum; a
// learner is promoted only once it holds 90 % of the leader's log), proposed through Raft, and answered with the
// membership as applied.

import EtcdProto
import Foundation
import PeerTransport
import Raft

extension EtcdServer {
  /// Cluster.MemberList: every member (an unstarted one has no name and no client URLs). The header carries no
  /// revision (etcd's cluster answers fill only cluster_id, member_id and raft_term). etcd checks no permission.
  public func memberList() -> Etcdserverpb_MemberListResponse {
    var response = Etcdserverpb_MemberListResponse()
    response.header = header(revision: 0)
    response.members = currentMembers()
    return response
  }

  /// The members in etcd's form; a data dir from before membership was stored lists this member alone.
  func currentMembers() -> [Etcdserverpb_Member] {
    let members = membership.members
    if members.isEmpty {
      return [ClusterMember(
        id: memberID, name: settings.name, peerURLs: settings.advertisePeerURLs,
        clientURLs: settings.advertiseClientURLs
      ).proto]
    }
    return members.map(\.proto)
  }

  /// Cluster.MemberAdd: a new voter or learner with the given peer URLs; its ID comes from the URLs and the time
  /// (etcd's NewMember for runtime adds).
  public func memberAdd(_ request: Etcdserverpb_MemberAddRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_MemberAddResponse
  {
    try requireAdmin(caller)
    let urls = try Self.checkedPeerURLs(request.peerUrls)
    let seconds = Int64(Date().timeIntervalSince1970)
    let member = ClusterMember(
      id: MemberIdentity.memberID(peerURLs: urls, clusterToken: "\(seconds)"), peerURLs: urls,
      isLearner: request.isLearner)
    if settings.strictReconfigCheck {
      if !request.isLearner && !Self.readyToAddVoter(membership.voters) {
        log.warn("rejecting member add request; not enough healthy members", [
          "local-member-id": String(memberID, radix: 16), "requested-member-add": String(member.id, radix: 16),
          "error": MembershipError.notEnoughStartedMembers.description,
        ])
        throw .membership(.notEnoughStartedMembers)
      }
      guard reconfigurationHealth().allowsAdd else {
        log.warn("rejecting member add request; local member has not been connected to all peers, reconfigure breaks active quorum", [
          "local-member-id": String(memberID, radix: 16), "requested-member-add": String(member.id, radix: 16),
          "error": MembershipError.unhealthyCluster.description,
        ])
        throw .membership(.unhealthyCluster)
      }
    }
    try check(.add(member))
    try await proposeMembershipChange(.add(member))
    var response = Etcdserverpb_MemberAddResponse()
    response.header = header(revision: 0)
    response.member = member.proto
    response.members = currentMembers()
    return response
  }

  /// Cluster.MemberRemove.
  public func memberRemove(_ request: Etcdserverpb_MemberRemoveRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_MemberRemoveResponse
  {
    try requireAdmin(caller)
    if settings.strictReconfigCheck, membership.member(request.id)?.isLearner == false {
      guard Self.readyToRemoveVoter(request.id, membership.voters) else { throw .membership(.notEnoughStartedMembers) }
      let health = reconfigurationHealth()
      guard health.allowsRemove(request.id) else {
        log.warn("rejecting member remove request; local member has not been connected to all peers, reconfigure breaks active quorum", [
          "local-member-id": String(memberID, radix: 16), "requested-member-remove": String(request.id, radix: 16),
          "active-peers": String(health.connectedVoters), "error": MembershipError.unhealthyCluster.description,
        ])
        throw .membership(.unhealthyCluster)
      }
    }
    try check(.remove(request.id))
    try await proposeMembershipChange(.remove(request.id))
    var response = Etcdserverpb_MemberRemoveResponse()
    response.header = header(revision: 0)
    response.members = currentMembers()
    return response
  }

  /// Cluster.MemberUpdate: new peer URLs (a normal entry: no vote changes).
  public func memberUpdate(_ request: Etcdserverpb_MemberUpdateRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_MemberUpdateResponse
  {
    try requireAdmin(caller)
    var checked = request
    checked.peerUrls = try Self.checkedPeerURLs(request.peerUrls)
    try check(.updatePeerURLs(id: request.id, peerURLs: checked.peerUrls))
    guard case .membership = try await propose(.memberUpdate(checked), caller: caller) else { throw Self.mismatch }
    var response = Etcdserverpb_MemberUpdateResponse()
    response.header = header(revision: 0)
    response.members = currentMembers()
    return response
  }

  /// Cluster.MemberPromote: only on the leader, which knows how far the learner got (a follower answers what the
  /// API layer forwards to the leader: `promoteNeedsLeader`).
  public func memberPromote(_ request: Etcdserverpb_MemberPromoteRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_MemberPromoteResponse
  {
    try requireAdmin(caller)
    try check(.promote(request.id))
    if settings.strictReconfigCheck {
      guard Self.readyToPromote(membership.voters) else { throw .membership(.notEnoughStartedMembers) }
    }
    let learnerInSync = await loop.inspect { status -> Bool? in
      // Only the leader tracks how far the learner got (nil on a follower).
      guard status.role == .leader else { return nil }
      let leaderMatch = status.progress[status.id]?.match ?? status.lastIndex
      guard let learner = status.progress[request.id] else { return false }
      return Double(learner.match) >= Double(leaderMatch) * 0.9
    }
    switch learnerInSync {
    case nil: throw .stopped
    case .some(nil): throw .promoteNeedsLeader(leader: raftStatus.leader)
    case .some(false): throw .membership(.learnerNotReady)
    case .some(true): break
    }
    guard var promoted = membership.member(request.id) else { throw .membership(.memberNotFound) }
    promoted.isLearner = false
    try await proposeMembershipChange(.promote(request.id), promoted: promoted)
    var response = Etcdserverpb_MemberPromoteResponse()
    response.header = header(revision: 0)
    response.members = currentMembers()
    return response
  }

  // MARK: Checks and proposals

  private func check(_ change: MembershipChange) throws(ServerError) {
    do { try membership.validate(change) } catch { throw .membership(error) }
  }

  private func proposeMembershipChange(_ change: MembershipChange, promoted: ClusterMember? = nil)
    async throws(ServerError)
  {
    let current = loop.current
    if let failure = current.failure { throw failure }
    if current.isLearner { throw .membership(.notSupportedForLearner) }
    guard case .membership = try await loop.submit(change, promoted: promoted).get() else { throw Self.mismatch }
  }

  /// Peer URLs as etcd accepts them (absolute http/https URLs with a host and port), sorted.
  static func checkedPeerURLs(_ urls: [String]) throws(ServerError) -> [String] {
    guard !urls.isEmpty else { throw .membership(.badURLs) }
    for text in urls {
      guard let url = URLComponents(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
        url.host?.isEmpty == false, url.port != nil, url.path.isEmpty || url.path == "/"
      else { throw .membership(.badURLs) }
    }
    return urls.sorted()
  }

  /// This member's peer connections as etcd's strict reconfiguration check reads them.
  func reconfigurationHealth(now: ContinuousClock.Instant = .now) -> ReconfigurationHealth {
    ReconfigurationHealth(
      localID: memberID, voters: membership.voters.map(\.id),
      activeSince: peerStatus().compactMapValues(\.activeSince), now: now)
  }

  /// etcd's IsReadyToAddVotingMember: after the add, the started voters still make a quorum (a one-member
  /// cluster may always add its second member).
  static func readyToAddVoter(_ voters: [ClusterMember]) -> Bool {
    let started = voters.filter(\.isStarted).count
    let members = voters.count + 1
    if started == 1 && members == 2 { return true }
    return started >= members / 2 + 1
  }

  /// etcd's IsReadyToRemoveVotingMember: without `id`, the started voters still make a quorum.
  static func readyToRemoveVoter(_ id: UInt64, _ voters: [ClusterMember]) -> Bool {
    let rest = voters.filter { $0.id != id }
    return rest.filter(\.isStarted).count >= rest.count / 2 + 1
  }

  /// etcd's IsReadyToPromoteMember: counting the learner as a started voter, the started voters make a quorum.
  static func readyToPromote(_ voters: [ClusterMember]) -> Bool {
    let members = voters.count + 1
    let started = voters.filter(\.isStarted).count + 1
    return started >= members / 2 + 1
  }
}
