// etcd 3.4's names, help texts, kinds and buckets for the series swetcd exposes (read from a real etcd 3.4.23's
// /metrics). Update the definitions here; everything else refers to them.

import EtcdServer

/// Definitions of the etcd metrics swetcd exposes.
public enum EtcdMetricDefinitions {
  /// etcd's disk latency buckets: 1 ms doubling to 8.192 s (ExponentialBuckets(0.001, 2, 14)).
  public static let diskBuckets = MetricDefinition.exponentialBuckets(start: 0.001, factor: 2, count: 14)

  public static let hasLeader = MetricDefinition(
    name: "etcd_server_has_leader", help: "Whether or not a leader exists. 1 is existence, 0 is not.", kind: .gauge)
  public static let isLeader = MetricDefinition(
    name: "etcd_server_is_leader", help: "Whether or not this member is a leader. 1 if is, 0 otherwise.", kind: .gauge)
  public static let leaderChangesSeen = MetricDefinition(
    name: "etcd_server_leader_changes_seen_total", help: "The number of leader changes seen.", kind: .counter)
  // etcd 3.4 declares committed/applied as gauges although their names end in _total.
  public static let proposalsCommitted = MetricDefinition(
    name: "etcd_server_proposals_committed_total", help: "The total number of consensus proposals committed.",
    kind: .gauge)
  public static let proposalsApplied = MetricDefinition(
    name: "etcd_server_proposals_applied_total", help: "The total number of consensus proposals applied.", kind: .gauge)
  public static let proposalsPending = MetricDefinition(
    name: "etcd_server_proposals_pending", help: "The current number of pending proposals to commit.", kind: .gauge)
  public static let proposalsFailed = MetricDefinition(
    name: "etcd_server_proposals_failed_total", help: "The total number of failed proposals seen.", kind: .counter)
  public static let walFsyncDuration = MetricDefinition(
    name: "etcd_disk_wal_fsync_duration_seconds", help: "The latency distributions of fsync called by WAL.",
    kind: .histogram, buckets: diskBuckets)
  public static let backendCommitDuration = MetricDefinition(
    name: "etcd_disk_backend_commit_duration_seconds", help: "The latency distributions of commit called by backend.",
    kind: .histogram, buckets: diskBuckets)
  public static let dbTotalSize = MetricDefinition(
    name: "etcd_mvcc_db_total_size_in_bytes",
    help: "Total size of the underlying database physically allocated in bytes.", kind: .gauge)
  public static let dbTotalSizeInUse = MetricDefinition(
    name: "etcd_mvcc_db_total_size_in_use_in_bytes",
    help: "Total size of the underlying database logically in use in bytes.", kind: .gauge)
  public static let watcherTotal = MetricDefinition(
    name: "etcd_debugging_mvcc_watcher_total", help: "Total number of watchers.", kind: .gauge)
  public static let slowWatcherTotal = MetricDefinition(
    name: "etcd_debugging_mvcc_slow_watcher_total", help: "Total number of unsynced slow watchers.", kind: .gauge)
  public static let grpcStarted = MetricDefinition(
    name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", kind: .counter,
    labelNames: ["grpc_method", "grpc_service", "grpc_type"])
  public static let grpcHandled = MetricDefinition(
    name: "grpc_server_handled_total",
    help: "Total number of RPCs completed on the server, regardless of success or failure.", kind: .counter,
    labelNames: ["grpc_code", "grpc_method", "grpc_service", "grpc_type"])
  // etcd 3.4 exports the RTT as a histogram of probes; the transport keeps a smoothed RTT, exported as a gauge.
  public static let peerRoundTripTime = MetricDefinition(
    name: "swetcd_network_peer_round_trip_time_seconds",
    help: "Smoothed round-trip time of the clock probe to each peer.", kind: .gauge, labelNames: ["To"])
  public static let peerClockDifference = MetricDefinition(
    name: "swetcd_network_peer_clock_difference_seconds",
    help: "Local wall clock minus the peer's, corrected by half the round trip (etcd warns above 1 s).",
    kind: .gauge, labelNames: ["To"])
  /// etcd's per-pair gauge: 1 while the stream to `Remote` is up, 0 after it went down.
  public static let activePeers = MetricDefinition(
    name: "etcd_network_active_peers", help: "The current number of active peer connections.", kind: .gauge,
    labelNames: ["Local", "Remote"])
}

/// The etcd series registered in one registry, as handles ready to update.
public struct EtcdMetrics: Sendable {
  public let registry: MetricsRegistry
  public let hasLeader: Gauge
  public let isLeader: Gauge
  public let leaderChangesSeen: Counter
  public let proposalsCommitted: Gauge
  public let proposalsApplied: Gauge
  public let proposalsPending: Gauge
  public let proposalsFailed: Counter
  public let walFsyncDuration: Histogram
  public let backendCommitDuration: Histogram
  public let dbTotalSize: Gauge
  public let dbTotalSizeInUse: Gauge
  public let watcherTotal: Gauge
  public let slowWatcherTotal: Gauge
  /// Labels: grpc_method, grpc_service, grpc_type.
  public let grpcStarted: MetricFamily<Counter>
  /// Labels: grpc_code, grpc_method, grpc_service, grpc_type.
  public let grpcHandled: MetricFamily<Counter>
  /// Label: To (the peer's member ID in hex).
  public let peerRoundTripTime: MetricFamily<Gauge>
  public let peerClockDifference: MetricFamily<Gauge>
  public let activePeers: MetricFamily<Gauge>

  public init(registry: MetricsRegistry = MetricsRegistry()) {
    typealias D = EtcdMetricDefinitions
    self.registry = registry
    hasLeader = registry.gauge(D.hasLeader).unlabeled
    isLeader = registry.gauge(D.isLeader).unlabeled
    leaderChangesSeen = registry.counter(D.leaderChangesSeen).unlabeled
    proposalsCommitted = registry.gauge(D.proposalsCommitted).unlabeled
    proposalsApplied = registry.gauge(D.proposalsApplied).unlabeled
    proposalsPending = registry.gauge(D.proposalsPending).unlabeled
    proposalsFailed = registry.counter(D.proposalsFailed).unlabeled
    walFsyncDuration = registry.histogram(D.walFsyncDuration).unlabeled
    backendCommitDuration = registry.histogram(D.backendCommitDuration).unlabeled
    dbTotalSize = registry.gauge(D.dbTotalSize).unlabeled
    dbTotalSizeInUse = registry.gauge(D.dbTotalSizeInUse).unlabeled
    watcherTotal = registry.gauge(D.watcherTotal).unlabeled
    slowWatcherTotal = registry.gauge(D.slowWatcherTotal).unlabeled
    grpcStarted = registry.counter(D.grpcStarted)
    grpcHandled = registry.counter(D.grpcHandled)
    peerRoundTripTime = registry.gauge(D.peerRoundTripTime)
    peerClockDifference = registry.gauge(D.peerClockDifference)
    activePeers = registry.gauge(D.activePeers)
  }
}

extension EtcdMetrics {
  /// Sets the series a scrape reports from `server`'s current state (its gauges and the counters it keeps).
  public func refresh(from server: EtcdServer) {
    let raft = server.raftStatus
    hasLeader.set(raft.leader != 0 ? 1 : 0)
    isLeader.set(raft.leader == server.memberID ? 1 : 0)
    proposalsCommitted.set(Double(raft.committed))
    proposalsApplied.set(Double(raft.applied))
    let statistics = server.statistics
    proposalsPending.set(statistics.proposalsPending)
    leaderChangesSeen.advance(to: statistics.leaderChanges)
    proposalsFailed.advance(to: statistics.proposalsFailed)
    if let status = try? server.store.status() {
      dbTotalSize.set(Double(status.dbSize))
      dbTotalSizeInUse.set(Double(status.dbSizeInUse))
    }
    let watchers = server.watchHub.statistics
    watcherTotal.set(watchers.synced + watchers.unsynced + watchers.victims)
    slowWatcherTotal.set(watchers.unsynced + watchers.victims)
    let local = String(server.memberID, radix: 16)
    for (id, peer) in server.peerStatus() {
      let to = String(id, radix: 16)
      activePeers.labels(local, to).set(peer.active ? 1 : 0)
      if let rtt = peer.roundTripTime { peerRoundTripTime.labels(to).set(rtt.inSeconds) }
      if let difference = peer.clockDifference { peerClockDifference.labels(to).set(difference.inSeconds) }
    }
  }

  /// The member's latency hooks, feeding the WAL fsync and backend commit histograms.
  public var serverObservers: ServerObservers {
    let fsync = walFsyncDuration
    let commit = backendCommitDuration
    return ServerObservers(walFsync: { fsync.observe($0) }, backendCommit: { commit.observe($0) })
  }
}
