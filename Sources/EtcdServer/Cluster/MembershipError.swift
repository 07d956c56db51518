// Refusals of membership changes, with etcd's exact client-facing texts (etcdctl and clients match on them).

/// Why a membership change or a learner's request was refused.
public enum MembershipError: Error, Sendable, Equatable, CustomStringConvertible {
  /// MemberAdd with an ID the cluster has (or had).
  case memberExists
  /// MemberAdd/Update with a peer URL another member uses.
  case peerURLExists
  /// A change that would leave fewer started voters than the quorum needs (--strict-reconfig-check).
  case notEnoughStartedMembers
  /// A change this member's peer connections say could break the reachable quorum (--strict-reconfig-check: a
  /// voter not connected for the last 5 s).
  case unhealthyCluster
  /// Malformed peer URLs.
  case badURLs
  /// No member with that ID (or it was removed).
  case memberNotFound
  /// MemberPromote of a voter.
  case notLearner
  /// MemberPromote of a learner that is behind the leader (below 90 % of its log).
  case learnerNotReady
  /// MemberAdd of a second learner (etcd 3.4 allows one).
  case tooManyLearners
  /// A request a learner does not serve.
  case notSupportedForLearner

  /// etcd's gRPC status code.
  public var code: StatusCode {
    switch self {
    case .memberExists, .peerURLExists, .notEnoughStartedMembers, .notLearner, .learnerNotReady, .tooManyLearners:
      return .failedPrecondition
    case .badURLs: return .invalidArgument
    case .memberNotFound: return .notFound
    case .notSupportedForLearner, .unhealthyCluster: return .unavailable
    }
  }

  /// etcd's text.
  public var description: String {
    switch self {
    case .memberExists: return "etcdserver: member ID already exist"
    case .peerURLExists: return "etcdserver: Peer URLs already exists"
    case .notEnoughStartedMembers: return "etcdserver: re-configuration failed due to not enough started members"
    case .unhealthyCluster: return "etcdserver: unhealthy cluster"
    case .badURLs: return "etcdserver: given member URLs are invalid"
    case .memberNotFound: return "etcdserver: member not found"
    case .notLearner: return "etcdserver: can only promote a learner member"
    case .learnerNotReady: return "etcdserver: can only promote a learner member which is in sync with leader"
    case .tooManyLearners: return "etcdserver: too many learner members in cluster"
    case .notSupportedForLearner: return "etcdserver: rpc not supported for learner"
    }
  }
}
