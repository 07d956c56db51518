import Foundation

/// What `Maintenance.HashKV` says about one member's key-value store: equal hashes at the same revision on
/// every member mean their stores agree (`etcdctl endpoint hashkv`).
public struct KVHash: Sendable, Hashable {
  /// The member that computed the hash.
  public var memberID: UInt64
  /// Hash of all key-value revisions up to `revision` (since the last compaction).
  public var hash: UInt32
  /// The revision of the last compaction the hash starts from; -1 while the store was never compacted.
  public var compactRevision: Int64
  /// The member's current revision when it answered (the hash covers the requested revision, or this one).
  public var revision: Int64

  public init(memberID: UInt64, hash: UInt32, compactRevision: Int64, revision: Int64) {
    self.memberID = memberID
    self.hash = hash
    self.compactRevision = compactRevision
    self.revision = revision
  }
}

/// One raised alarm (`etcdctl alarm list` prints `memberID:<decimal> alarm:<name>`).
public struct MemberAlarm: Sendable, Hashable {
  /// The member that raised it.
  public var memberID: UInt64
  /// etcd's name of the alarm: "NOSPACE" (backend quota exceeded; the cluster only accepts reads and deletes
  /// until compaction, defragmentation and a disarm) or "CORRUPT" (the members' data disagree).
  public var alarm: String

  public init(memberID: UInt64, alarm: String) {
    self.memberID = memberID
    self.alarm = alarm
  }
}
