import Foundation

/// What `Maintenance.Status` says about one member (the columns of `etcdctl endpoint status`).
public struct EndpointStatus: Sendable, Hashable {
  public var endpoint: EtcdEndpoint
  public var memberID: UInt64
  public var clusterID: UInt64
  public var version: String
  public var dbSize: Int64
  public var dbSizeInUse: Int64
  public var leaderID: UInt64
  public var raftIndex: UInt64
  public var raftTerm: UInt64
  public var raftAppliedIndex: UInt64
  public var revision: Int64
  public var isLearner: Bool
  public var errors: [String]

  /// Whether this member is the leader it reports.
  public var isLeader: Bool { leaderID != 0 && leaderID == memberID }
}

/// One cluster member as `Cluster.MemberList` reports it.
public struct Member: Sendable, Hashable {
  public var id: UInt64
  /// Empty until the member has started and published its name.
  public var name: String
  public var peerURLs: [String]
  public var clientURLs: [String]
  public var isLearner: Bool

  /// etcdctl prints "unstarted" for members that have not published a name yet.
  public var isStarted: Bool { !name.isEmpty }
}

/// The membership as seen through one endpoint.
public struct MemberList: Sendable, Hashable {
  public var clusterID: UInt64
  /// The member that answered.
  public var answeredBy: UInt64
  public var members: [Member]
}

/// A key-value pair as stored (mvccpb.KeyValue).
public struct KeyValue: Sendable, Hashable {
  public var key: Data
  public var value: Data
  public var createRevision: Int64
  public var modRevision: Int64
  public var version: Int64
  public var lease: Int64
}

/// The result of a Range.
public struct RangeResult: Sendable, Hashable {
  public var revision: Int64
  public var kvs: [KeyValue]
  public var count: Int64
  public var more: Bool
}

/// One endpoint's health, decided as `etcdctl endpoint health` decides it: a linearizable Get of key "health"
/// succeeded (or was only refused for permission, which still proves a working quorum).
public struct EndpointHealth: Sendable, Hashable {
  public var endpoint: EtcdEndpoint
  public var isHealthy: Bool
  public var took: Duration
  /// Why it is unhealthy, in etcd's words where the server gave them.
  public var error: String?
}

/// IDs print as lowercase hex without padding, as etcd prints them.
public func etcdIDString(_ id: UInt64) -> String { String(id, radix: 16) }

/// `Member` under a name that does not collide with other modules' member types.
public typealias ClusterMember = Member
