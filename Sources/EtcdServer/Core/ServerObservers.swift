// Hooks through which the member reports disk latencies as they happen (the API layer turns them into etcd's
// histograms), and the counters it keeps for a scrape to read. The member module knows nothing of metrics.

import Synchronization

/// Callbacks for latencies the member measures. They run on the Raft loop's thread: keep them cheap.
public struct ServerObservers: Sendable {
  /// Each WAL fsync's duration (etcd_disk_wal_fsync_duration_seconds).
  public var walFsync: (@Sendable (Duration) -> Void)?
  /// Each backend COMMIT's duration (etcd_disk_backend_commit_duration_seconds).
  public var backendCommit: (@Sendable (Duration) -> Void)?

  /// Creates observers; nil ones are not measured at all.
  public init(
    walFsync: (@Sendable (Duration) -> Void)? = nil, backendCommit: (@Sendable (Duration) -> Void)? = nil
  ) {
    self.walFsync = walFsync
    self.backendCommit = backendCommit
  }
}

/// Counts of the member's Raft activity since it started.
public struct ServerStatistics: Sendable, Equatable {
  /// Times a new leader was seen (etcd_server_leader_changes_seen_total): the change from no leader to the first
  /// counts, as in etcd.
  public var leaderChanges: UInt64
  /// Proposals not applied: refused by Raft, timed out, or failed by a stop (etcd_server_proposals_failed_total).
  public var proposalsFailed: UInt64
  /// Proposals waiting to be applied now (etcd_server_proposals_pending).
  public var proposalsPending: Int
}
