// What one member runs with: identity, data dir and the tuning etcd exposes as flags. The configuration layer
// (flags, ETCD_* variables, --config-file) fills it; tests build it directly.

import Foundation
import PeerTransport
import WAL

/// The settings of a member.
public struct MemberSettings: Sendable {
  /// --name.
  public var name: String
  /// --data-dir.
  public var dataDirectory: String
  /// --wal-dir (nil: <data-dir>/member/wal).
  public var walDirectory: String?
  /// --initial-advertise-peer-urls (the member ID is computed from them and the cluster token).
  public var advertisePeerURLs: [String]
  /// --advertise-client-urls.
  public var advertiseClientURLs: [String]
  /// --initial-cluster-token.
  public var clusterToken: String
  /// --initial-cluster: member name -> peer URLs (empty: this member alone, at `advertisePeerURLs`).
  public var initialCluster: [String: [String]]
  /// --initial-cluster-state existing: join a running cluster (this member was added with `member add`).
  public var joinExisting: Bool
  /// --force-new-cluster: restart as a one-member cluster from this member's data, dropping every other member.
  public var forceNewCluster: Bool
  /// --strict-reconfig-check: refuse membership changes that would leave too few started members.
  public var strictReconfigCheck: Bool
  /// --listen-peer-urls.
  public var listenPeerURLs: [String]
  /// Peer TLS (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth,
  /// --peer-cert-allowed-cn, --peer-auto-tls); nil for plain http peers.
  public var peerTLS: PeerTLSSettings?
  /// Whether the member talks to peers at all (the `swetcd` process always does; in-process one-member tests
  /// need not).
  public var peerTransportEnabled: Bool
  /// --heartbeat-interval.
  public var heartbeatInterval: Duration
  /// --election-timeout.
  public var electionTimeout: Duration
  /// --snapshot-count.
  public var snapshotCount: UInt64
  /// --max-snapshots, --max-wals.
  public var maxSnapshots: Int
  public var maxWALs: Int
  /// --quota-backend-bytes (0: 2 GiB).
  public var quotaBackendBytes: Int64
  /// --backend-batch-interval, --backend-batch-limit.
  public var backendBatchInterval: Duration
  public var backendBatchLimit: Int
  /// --max-txn-ops.
  public var maxTxnOps: Int
  /// --max-request-bytes.
  public var maxRequestBytes: Int
  /// --pre-vote.
  public var preVote: Bool
  /// --unsafe-no-fsync.
  public var unsafeNoFsync: Bool
  /// --auth-token ("simple", or "jwt,..."; parsed when the member starts).
  public var authToken: String
  /// --auth-token-ttl (simple tokens).
  public var authTokenTTL: Duration
  /// --bcrypt-cost.
  public var bcryptCost: Int

  /// etcd 3.4's defaults for a member named `name` with its data in `dataDirectory`.
  public init(name: String = "default", dataDirectory: String) {
    self.name = name
    self.dataDirectory = dataDirectory
    walDirectory = nil
    advertisePeerURLs = ["http://localhost:2380"]
    advertiseClientURLs = ["http://localhost:2379"]
    clusterToken = "etcd-cluster"
    initialCluster = [:]
    joinExisting = false
    forceNewCluster = false
    strictReconfigCheck = true
    listenPeerURLs = []
    peerTLS = nil
    peerTransportEnabled = false
    heartbeatInterval = .milliseconds(100)
    electionTimeout = .milliseconds(1000)
    snapshotCount = 100_000
    maxSnapshots = 5
    maxWALs = 5
    quotaBackendBytes = 0
    backendBatchInterval = .milliseconds(100)
    backendBatchLimit = 10_000
    maxTxnOps = 128
    maxRequestBytes = 1_572_864
    preVote = false
    unsafeNoFsync = false
    authToken = "simple"
    authTokenTTL = .seconds(300)
    bcryptCost = Bcrypt.defaultCost
  }

  /// The members --initial-cluster names, with this member at its advertised peer URLs when it names none.
  public var initialMembers: [String: [String]] {
    initialCluster.isEmpty ? [name: advertisePeerURLs] : initialCluster
  }

  /// <data-dir>/member/snap: Raft snapshots, the backend (`db`) and backend files received from the leader.
  var snapshotDirectory: String { DiskRaftStorage.memberDirectory(dataDirectory) + "/snap" }

  /// --wal-dir, or <data-dir>/member/wal.
  var effectiveWALDirectory: String { walDirectory ?? DiskRaftStorage.memberDirectory(dataDirectory) + "/wal" }

  /// Election timeout in heartbeat ticks (etcd: election-timeout / heartbeat-interval).
  public var electionTicks: Int {
    max(1, Int(electionTimeout / heartbeatInterval))
  }

  /// How long a request waits to be applied (etcd: 5 s + 2 x the election timeout).
  public var requestTimeout: Duration { .seconds(5) + electionTimeout * 2 }
}
