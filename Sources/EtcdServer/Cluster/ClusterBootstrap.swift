// How a member starts as part of a cluster, as etcd 3.4 does it: a new cluster from --initial-cluster (every member
// computes the same IDs from the names, peer URLs and token, and the log starts with one addVoter entry per member
// at term 1), a member joining a running cluster (--initial-cluster-state existing: it learns the cluster's ID and
// its own from a peer), and --force-new-cluster (the log is cut at the commit index and entries removing every other
// member are appended).

import Foundation
import Raft

/// The bootstrap rules of a cluster.
enum ClusterBootstrap {
  /// The members of a new cluster as --initial-cluster names them, by ascending ID (etcd's NewClusterFromURLsMap).
  static func initialMembers(_ settings: MemberSettings) -> [ClusterMember] {
    settings.initialMembers.map { name, urls in
      ClusterMember(
        id: MemberIdentity.memberID(peerURLs: urls, clusterToken: settings.clusterToken), name: name, peerURLs: urls)
    }.sorted { $0.id < $1.id }
  }

  /// The first entries of a new cluster's log: one addVoter conf change per member at indexes 1...n, term 1, each
  /// carrying the member (etcd's bootstrap; the members apply them like any other conf change).
  static func entries(for members: [ClusterMember]) -> [Entry] {
    members.enumerated().map { offset, member in
      let change = MembershipChange.add(member).confChange(requestID: 0)!
      return Entry(term: 1, index: LogIndex(offset + 1), kind: .confChange, data: change.encoded())
    }
  }

  /// What a running cluster tells a joining member: its ID and members (the peer transport carries it as JSON).
  struct RemoteCluster: Codable, Sendable {
    var clusterID: UInt64
    var members: [ClusterMember]

    func encoded() -> [UInt8] { (try? Array(JSONEncoder.sorted.encode(self))) ?? [] }

    init(clusterID: UInt64, members: [ClusterMember]) {
      self.clusterID = clusterID
      self.members = members
    }

    init?(decoding bytes: [UInt8]) {
      guard let remote = try? JSONDecoder().decode(RemoteCluster.self, from: Data(bytes)) else { return nil }
      self = remote
    }
  }

  /// The member a joining member is in `remote`: the one with its advertised peer URLs (etcd matches members by
  /// peer URLs, because `member add` chose the ID).
  static func findSelf(in remote: RemoteCluster, settings: MemberSettings) throws(ServerError) -> ClusterMember {
    let own = settings.advertisePeerURLs.sorted()
    if let member = remote.members.first(where: { $0.peerURLs == own }) { return member }
    let known = remote.members.map { "\($0.name.isEmpty ? "(unstarted)" : $0.name)=\($0.peerURLs.joined(separator: ","))" }
    throw .storage(
      "cannot join cluster \(String(remote.clusterID, radix: 16)): no member has the peer URLs "
        + "\(own.joined(separator: ",")) of this member \(settings.name) (the cluster has \(known.joined(separator: " "))). "
        + "Add it first with `etcdctl member add \(settings.name) --peer-urls=\(own.joined(separator: ","))`, then start "
        + "it with --initial-cluster-state existing and an empty data dir")
  }

  /// The refusal of a data dir that belongs to another cluster than --initial-cluster describes, when the member
  /// is started with --initial-cluster-state new; nil when the data dir may be this cluster's. It is foreign when
  /// neither its member ID, nor its cluster ID, nor any member it stores has an ID --initial-cluster and the token
  /// give (a member whose peer URLs were updated keeps its peers' IDs, so it restarts as etcd's would).
  static func foreignDataDirProblem(
    walMemberID: UInt64, walClusterID: UInt64, storedMembers: Set<UInt64>, settings: MemberSettings
  ) -> String? {
    guard !settings.joinExisting, !settings.forceNewCluster else { return nil }
    let members = initialMembers(settings)
    let expectedCluster = MemberIdentity.clusterID(memberIDs: members.map(\.id))
    if walClusterID == expectedCluster || members.contains(where: { $0.id == walMemberID }) { return nil }
    if members.contains(where: { storedMembers.contains($0.id) }) { return nil }
    return "the data dir \(settings.dataDirectory) holds member \(String(walMemberID, radix: 16)) of cluster "
      + "\(String(walClusterID, radix: 16)), but --initial-cluster and --initial-cluster-token describe cluster "
      + "\(String(expectedCluster, radix: 16)) with --initial-cluster-state new: to start a new member of that cluster, "
      + "move the data dir away (or clear it); to restart the old member, give its original --initial-cluster-token "
      + "and --initial-cluster (or --initial-cluster-state existing)"
  }

  /// --force-new-cluster (etcd's forceNewCluster): entries after `commit` are discarded, and conf changes removing
  /// every other member (and adding this one when it was not a voter) follow the commit index, committed at once.
  static func forceNewClusterEntries(
    confState: ConfState, localID: UInt64, commit: LogIndex, term: Term
  ) -> [Entry] {
    var changes: [ConfChange] = []
    for id in confState.voters.union(confState.learners).sorted() where id != localID {
      changes.append(MembershipChange.remove(id).confChange(requestID: 0)!)
    }
    if !confState.voters.contains(localID) {
      changes.append(ConfChange(type: .addVoter, nodeID: localID, context: Array(repeating: 0, count: 8)))
    }
    return changes.enumerated().map { offset, change in
      Entry(term: term, index: commit + LogIndex(offset + 1), kind: .confChange, data: change.encoded())
    }
  }
}
