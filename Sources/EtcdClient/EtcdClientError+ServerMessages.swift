import Foundation

/// Recognising etcd's server errors by their exact messages (the strings etcd 3.4 sends; see
/// `etcdserver/api/v3rpc/rpctypes`), so callers can decide to wait, retry elsewhere or give up.
extension EtcdClientError {
  /// etcd's message when a learner cannot be promoted yet because it lags the leader.
  public static let learnerNotInSyncMessage = "etcdserver: can only promote a learner member which is in sync with leader"
  /// etcd's message when a call only the leader serves (MoveLeader) reached a follower.
  public static let notLeaderMessage = "etcdserver: not leader"
  /// etcd's message when a membership change is refused because the member asked has not been connected to
  /// every voter for the last 5 seconds (`--strict-reconfig-check`, on by default; e.g. right after a start).
  public static let unhealthyClusterMessage = "etcdserver: unhealthy cluster"
  /// etcd's message when there is no leader (an election is under way or quorum is lost).
  public static let noLeaderMessage = "etcdserver: no leader"
  /// etcd's message when the cluster version does not support the call yet.
  public static let notCapableMessage = "etcdserver: not capable"
  /// etcd's message when the authenticated user lacks the permission.
  public static let permissionDeniedMessage = "etcdserver: permission denied"
  /// etcd's message for a read or hash at a revision older than the last compaction.
  public static let compactedMessage = "etcdserver: mvcc: required revision has been compacted"

  /// The server's own message when the server answered with an error, else nil.
  public var serverMessage: String? {
    if case .server(_, _, _, let message) = self { return message }
    return nil
  }

  /// Whether MemberPromote was refused only because the learner has not caught up with the leader yet: retry it
  /// after a short wait.
  public var isLearnerNotInSync: Bool { serverMessage == Self.learnerNotInSyncMessage }

  /// Whether the member asked is not the leader (ask the leader instead).
  public var isNotLeader: Bool { serverMessage == Self.notLeaderMessage }

  /// Whether a membership change was refused only because the cluster was not fully connected for the last
  /// 5 seconds: retry after a short wait.
  public var isUnhealthyCluster: Bool { serverMessage == Self.unhealthyClusterMessage }

  /// Whether the revision asked for has been compacted away.
  public var isCompacted: Bool { serverMessage == Self.compactedMessage }
}
