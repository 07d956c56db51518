// Module EtcdServer: the member. `EtcdServer` opens the data dir (WAL, snapshots, the MVCC store), runs the Raft
// loop, and answers the v3 API's requests: writes go through Raft and are answered once applied; linearizable reads
// wait for a ReadIndex confirmation first, serializable ones read the local store at once.

import EtcdProto
import Foundation
import MVCC
import PeerTransport
import Raft
import Synchronization
import WAL

/// One running member.
public final class EtcdServer: Sendable {
  /// This member's ID and its cluster's (etcd's rules: `MemberIdentity`).
  public let memberID: UInt64
  public let clusterID: UInt64
  /// The settings it runs with.
  public let settings: MemberSettings
  /// The MVCC store (the API layer serves watches from its hub).
  public let store: KVStore
  /// The member's leases.
  public let leases: Leases
  /// Users, roles and permissions (changed through Raft; checked on every client request while enabled).
  public let auth: AuthStore
  /// The cluster's members, as applied.
  public let membership: Membership
  /// The watchers of every client stream (fed by the store's commits).
  public let watchHub: WatchHub
  private let watchDriver: WatchDriver
  /// The member's monotonic clock.
  public let clock: MonotonicClock
  let log: ServerLog
  let loop: RaftLoop
  /// The member's peer transport (nil for an in-process member that talks to no peers).
  public let transport: PeerTransport?
  /// The transport's delegate (the transport holds it weakly).
  private let peerBridge: PeerBridge?
  /// Finishes when this member learns it was removed from the cluster.
  let removal = AsyncStream<Void>.makeStream()
  let publisher = Mutex<Task<Void, Never>?>(nil)

  /// Opens (or creates) the member's data dir and starts its Raft loop. A new data dir bootstraps the cluster
  /// --initial-cluster describes; an existing one restarts from its WAL and store (replaying entries the store had
  /// not committed), ignoring the --initial-* settings. A member joining a running cluster opens with
  /// `EtcdServer.open`.
  public convenience init(
    settings: MemberSettings, log: ServerLog = ServerLog(), observers: ServerObservers = ServerObservers()
  ) throws(ServerError) {
    try self.init(settings: settings, log: log, observers: observers, joining: nil)
  }

  init(
    settings: MemberSettings, log: ServerLog, observers: ServerObservers, joining remote: ClusterBootstrap.RemoteCluster?
  ) throws(ServerError) {
    self.settings = settings
    self.log = log
    clock = MonotonicClock()
    let initialMembers = ClusterBootstrap.initialMembers(settings)
    let newMember: ClusterMember
    let newClusterID: UInt64
    if let remote {
      newMember = try ClusterBootstrap.findSelf(in: remote, settings: settings)
      newClusterID = remote.clusterID
    } else {
      newMember = initialMembers.first { $0.name == settings.name } ?? ClusterMember(
        id: MemberIdentity.memberID(peerURLs: settings.advertisePeerURLs, clusterToken: settings.clusterToken),
        name: settings.name, peerURLs: settings.advertisePeerURLs)
      newClusterID = MemberIdentity.clusterID(memberIDs: initialMembers.map(\.id))
    }
    let disk: DiskRaftStorage
    do {
      var wal = WALOptions(unsafeNoFsync: settings.unsafeNoFsync)
      wal.fsyncObserver = observers.walFsync
      let options = DataDirOptions(
        walDirectory: settings.walDirectory, wal: wal,
        maxSnapshots: settings.maxSnapshots, maxWALs: settings.maxWALs,
        policy: SnapshotPolicy(snapshotCount: settings.snapshotCount))
      disk = try DiskRaftStorage(
        fs: PosixFileSystem(), dataDirectory: settings.dataDirectory,
        metadata: WALMetadata(memberID: newMember.id, clusterID: newClusterID),
        options: options, log: { log.warn($0) })
    } catch {
      throw .storage("cannot open the data dir \(settings.dataDirectory): \(error)")
    }
    for warning in disk.warnings { log.warn(warning) }
    if settings.unsafeNoFsync { log.warn(WALOptions.unsafeNoFsyncWarning) }
    if let torn = disk.tornTail { log.warn("repaired a torn WAL tail", ["detail": "\(torn)"]) }
    memberID = disk.metadata.memberID
    clusterID = disk.metadata.clusterID
    if disk.isNew {
      if remote == nil {
        // A new cluster's log starts with one addVoter entry per member, committed at term 1 (etcd's bootstrap).
        let entries = ClusterBootstrap.entries(for: initialMembers)
        do {
          try disk.persist(Ready(
            hardState: HardState(term: 1, vote: 0, commit: LogIndex(entries.count)), entries: entries, mustSync: true))
        } catch {
          throw .storage("cannot bootstrap the data dir \(settings.dataDirectory): \(error)")
        }
      }
    } else {
      if settings.forceNewCluster { try Self.forceNewCluster(disk: disk, memberID: memberID, log: log) }
    }
    do {
      var backend = BackendOptions(batchInterval: settings.backendBatchInterval, batchLimit: settings.backendBatchLimit)
      backend.commitObserver = observers.backendCommit
      store = try KVStore(
        path: settings.snapshotDirectory + "/db",
        options: KVStoreOptions(
          backend: backend,
          maxTxnOps: settings.maxTxnOps, quotaBackendBytes: settings.quotaBackendBytes, memberID: memberID))
      let lessor = Lessor(minimumTTL: Lessor.minimumTTL(
        electionTicks: settings.electionTicks, heartbeatInterval: settings.heartbeatInterval))
      leases = try Leases(store: store, lessor: lessor)
    } catch {
      throw .store(error)
    }
    do throws(AuthError) {
      let (token, ignored) = try AuthTokenOptions.parse(settings.authToken)
      for option in ignored { log.warn("unknown token option", ["option": option]) }
      if !Bcrypt.isValidCost(settings.bcryptCost) {
        log.warn("use default bcrypt cost instead of the invalid given cost", ["given": "\(settings.bcryptCost)"])
      }
      auth = try AuthStore(
        kv: store,
        options: AuthStoreOptions(token: token, simpleTokenTTL: settings.authTokenTTL, bcryptCost: settings.bcryptCost))
    } catch {
      throw .auth(error)
    }
    watchHub = WatchHub(source: store)
    store.observer = watchHub
    watchDriver = WatchDriver(hub: watchHub, clock: clock)
    let clock = clock
    membership = Membership(localID: memberID)
    try membership.reload(from: store)
    if !disk.isNew, let problem = ClusterBootstrap.foreignDataDirProblem(
      walMemberID: memberID, walClusterID: clusterID, storedMembers: Set(membership.members.map(\.id)),
      settings: settings)
    {
      try? disk.close()
      throw .storage(problem)
    }
    let applier = try Applier(store: store, leases: leases, auth: auth, membership: membership, now: { clock.now() })
    let (_, confState) = disk.storage.initialState()
    var config = RaftConfig(
      id: memberID, storage: disk.storage, randomSeed: memberID ^ UInt64(truncatingIfNeeded: Date().timeIntervalSince1970.bitPattern))
    config.electionTick = settings.electionTicks
    config.heartbeatTick = 1
    // Entries after the last snapshot are handed to the loop again: the applier skips what the store holds, and
    // the conf changes among them rebuild the Raft configuration.
    config.applied = disk.storage.firstIndex() - 1
    config.checkQuorum = true
    config.preVote = settings.preVote
    config.maxSizePerMsg = 1 << 20
    config.maxInflightMsgs = 512
    let node: RawNode
    do { node = try RawNode(config: config) } catch { throw .internalError("raft: \(error)") }
    loop = RaftLoop(
      node: node, disk: disk, applier: applier, leases: leases, confState: confState, settings: settings,
      clock: clock, log: log)
    if settings.peerTransportEnabled {
      do {
        let removal = removal.continuation
        PeerBridge.removeReceivedSnapshotFiles(in: settings.snapshotDirectory)
        let bridge = PeerBridge(
          loop: loop, clusterID: clusterID,
          snapshotDirectory: settings.snapshotDirectory,
          onRemoved: { _ in removal.yield() })
        let transport = try PeerTransport(options: Self.peerOptions(settings, memberID: memberID,
          clusterID: clusterID, log: log), delegate: bridge)
        loop.peers = transport
        // A joining member talks to the members it was told of until its log (or a snapshot) gives it the
        // membership.
        for member in remote?.members ?? [] where member.id != memberID {
          transport.setPeer(member.id, urls: member.peerURLs)
        }
        self.transport = transport
        peerBridge = bridge
      } catch {
        throw .storage("cannot set up the peer transport: \(error)")
      }
    } else {
      transport = nil
      peerBridge = nil
    }
    let removal = removal.continuation
    loop.onRemoved = { removal.yield() }
    loop.start()
    watchDriver.start()
    publisher.withLock { $0 = Task { [self] in await publishAttributes() } }
    log.info("started member", [
      "name": settings.name, "member-id": String(memberID, radix: 16), "cluster-id": String(clusterID, radix: 16),
      "data-dir": settings.dataDirectory,
    ])
  }

  /// Stops the Raft loop (in-flight requests fail with "etcdserver: server stopped") and commits the store.
  public func stop() {
    publisher.withLock { $0?.cancel() }
    watchDriver.stop()
    loop.stop()
  }

  /// The Raft view: leader (0: none), term, applied and committed index.
  public var raftStatus: (leader: UInt64, term: UInt64, applied: UInt64, committed: UInt64) {
    let s = loop.current
    return (s.leader, s.term, s.appliedIndex, s.committedIndex)
  }

  /// Whether this member knows a leader (etcd's has_leader; /health and grpc.health.v1 report it).
  public var hasLeader: Bool { loop.current.leader != 0 }

  /// Leader changes seen and proposals failed since start, and proposals pending now.
  public var statistics: ServerStatistics { loop.statistics }

  /// The response header etcd sends: cluster and member ID, the store revision, the Raft term.
  public func header(revision: Int64) -> Etcdserverpb_ResponseHeader {
    var header = Etcdserverpb_ResponseHeader()
    header.clusterID = clusterID
    header.memberID = memberID
    header.revision = revision
    header.raftTerm = loop.current.term
    return header
  }

  // MARK: Through Raft

  /// Proposes `request` on behalf of `identity` (etcd's request header: the applier checks its permissions against
  /// it; nil only for the member's own requests) and returns its applied outcome.
  public func propose(_ request: RaftRequest, as identity: AuthInfo?) async throws(ServerError) -> AppliedResponse {
    if let failure = loop.current.failure { throw failure }
    return try await loop.submit(request, auth: identity).get()
  }

  /// Proposes a client request from `caller`: its identity (or etcd's empty one) goes into the entry's header.
  func propose(_ request: RaftRequest, caller: Caller) async throws(ServerError) -> AppliedResponse {
    if loop.current.isLearner { throw .membership(.notSupportedForLearner) }
    return try await propose(request, as: try headerIdentity(of: caller))
  }

  /// The identity etcd puts into a client request's header: `caller`'s, or etcd's empty one (no user, auth revision
  /// 0) while auth is off or when it brought no credentials.
  func headerIdentity(of caller: Caller) throws(ServerError) -> AuthInfo {
    try identity(of: caller) ?? AuthInfo(username: "", revision: 0)
  }

  /// The identity behind `caller`'s credentials: nil while auth is off or when it brought none; "invalid auth
  /// token" for a token that is unknown or expired.
  public func identity(of caller: Caller) throws(ServerError) -> AuthInfo? {
    do {
      return try auth.authInfo(token: caller.token, commonName: caller.commonName, viaGateway: caller.viaGateway)
    } catch {
      throw .auth(error)
    }
  }

  /// Waits until a local read is linearizable (ReadIndex confirmed and applied).
  public func linearizableBarrier() async throws(ServerError) {
    if loop.current.isLearner { throw .membership(.notSupportedForLearner) }
    try await loop.linearizableBarrier().get()
  }
}
