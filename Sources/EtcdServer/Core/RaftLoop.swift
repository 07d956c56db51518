// The member's Raft loop (etcd's raftNode + the apply part of EtcdServer.run), on a thread of its own: ticks the
// Raft core every heartbeat interval, takes proposals and read requests from other threads through an inbox, and
// for each Ready persists (WAL, fsync) before anything is acknowledged, applies committed entries to the store,
// answers the waiters, and takes snapshots by policy.

import EtcdProto
import Foundation
import MVCC
import Raft
import Synchronization
import WAL

/// Runs the Raft core of one member. All Raft, WAL and applier state is touched only by the loop's thread; other
/// threads talk to it through `submit` and `readIndex`.
final class RaftLoop: @unchecked Sendable {
  enum Command {
    case propose(id: UInt64, data: [UInt8])
    case proposeConfChange(id: UInt64, ConfChange)
    case readIndex(id: UInt64)
    /// Messages from peers.
    case step([Message])
    /// A snapshot message whose backend file arrived.
    case snapshotArrived(Message, file: String)
    case unreachable(NodeID)
    case snapshotStatus(NodeID, failed: Bool)
    case transferLeader(NodeID)
    /// Runs on the loop's thread with the node's status (for checks that need the leader's progress); nil when
    /// the loop stopped first.
    case inspect(@Sendable (RaftStatus?) -> Void)
    case stop
  }

  struct Inbox {
    var commands: [Command] = []
    var proposals: [UInt64: Waiter<AppliedResponse>] = [:]
    var reads: [UInt64: Waiter<LogIndex>] = [:]
    var stopped = false
  }

  /// A caller waiting for an outcome, with its deadline on the member's monotonic clock.
  struct Waiter<T: Sendable> {
    let continuation: CheckedContinuation<Result<T, ServerError>, Never>
    let deadline: Duration
  }

  private struct AppliedWaiter {
    let index: LogIndex
    let continuation: CheckedContinuation<Result<Void, ServerError>, Never>
    let deadline: Duration
  }

  var node: RawNode
  let disk: DiskRaftStorage
  let applier: Applier
  let store: KVStore
  let leases: Leases
  let membership: Membership
  let settings: MemberSettings
  let clock: MonotonicClock
  let log: ServerLog
  let inbox = Mutex(Inbox())
  /// The peer transport (nil until attached, and for a member that has no peers to talk to).
  var peers: (any PeerSending)?
  /// Called once when this member learns it was removed from the cluster (the process shuts down).
  var onRemoved: (@Sendable () -> Void)?
  /// Backend files of snapshots received from the leader, by snapshot index, until the snapshot is installed.
  var arrivedSnapshots: [LogIndex: String] = [:]
  /// Set once this member applied its own removal.
  var removed = false
  /// The peers the transport was last told about, and the membership version it reflects.
  var syncedPeerIDs: Set<UInt64> = []
  var syncedMembershipVersion: UInt64 = .max
  /// Proposals made while no leader was known, proposed again once one is (unless their waiter timed out).
  var waitingForLeader: [(id: UInt64, data: [UInt8])] = []
  /// Set when a leader became known during a Ready: after it is advanced, the waiting proposals go.
  var leaderArrived = false
  /// Set when the configuration changed during a Ready: after it is advanced, a lone voter campaigns.
  var configurationMayLeaveUsAlone = false
  private let appliedWaiters = Mutex<[AppliedWaiter]>([])
  let wake = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)
  /// Request IDs, unique across the cluster and across restarts (etcd's idutil): the member ID's low 16 bits, then
  /// the start time in milliseconds (40 bits), then a counter. Every member answers the waiter whose ID an applied
  /// entry carries, so two members must never hand out the same ID: an entry proposed by one would answer the
  /// other's unrelated request (acknowledging a write that was never committed).
  let nextID: Atomic<UInt64>
  private let leaderChanges = Atomic<UInt64>(0)
  private let proposalsFailed = Atomic<UInt64>(0)
  let status = Mutex(LoopStatus())
  var confState: ConfState {
    didSet { if confState != oldValue { logConfiguration() } }
  }
  private var lastTick: Duration
  private var lastLeaseCheck: Duration = .zero
  private var lastDeadlineCheck: Duration = .zero
  private var lastTokenPurge: Duration = .zero
  /// The soft state of the last Ready that carried one (for the leadership log lines).
  private var lastSoftState = SoftState(leader: 0, role: .follower)

  /// What other threads may read about the member's Raft state.
  struct LoopStatus: Sendable {
    var leader: NodeID = 0
    var term: Term = 0
    var appliedIndex: LogIndex = 0
    var committedIndex: LogIndex = 0
    var isLearner = false
    var failure: ServerError?
  }

  init(
    node: RawNode, disk: DiskRaftStorage, applier: Applier, leases: Leases, confState: ConfState,
    settings: MemberSettings, clock: MonotonicClock, log: ServerLog
  ) {
    self.node = node
    nextID = Atomic(Self.firstRequestID(memberID: node.id, unixMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000)))
    self.disk = disk
    self.applier = applier
    self.store = applier.store
    self.membership = applier.membership
    self.leases = leases
    self.confState = confState
    self.settings = settings
    self.clock = clock
    self.log = log
    // A random tick phase: members started together would otherwise tick within a millisecond of each other, so
    // two followers that drew the same randomized election timeout (1 in 10 with the default ticks) campaign at
    // the same moment after the leader dies and split the vote, costing another election timeout.
    let tickNanoseconds = max(1, Int64(settings.heartbeatInterval / .nanoseconds(1)))
    lastTick = clock.now() - .nanoseconds(Int64.random(in: 0..<tickNanoseconds))
    let learner = confState.learners.contains(node.id)
    status.withLock {
      $0.appliedIndex = applier.appliedIndex
      $0.isLearner = learner
    }
  }

  /// The first request ID of a member started at `unixMilliseconds`.
  static func firstRequestID(memberID: UInt64, unixMilliseconds: UInt64) -> UInt64 {
    (memberID & 0xFFFF) << 48 | (unixMilliseconds & 0xFF_FFFF_FFFF) << 8
  }

  /// The loop's view, for headers and status.
  var current: LoopStatus { status.withLock { $0 } }

  /// Counters for metrics.
  var statistics: ServerStatistics {
    ServerStatistics(
      leaderChanges: leaderChanges.load(ordering: .relaxed), proposalsFailed: proposalsFailed.load(ordering: .relaxed),
      proposalsPending: inbox.withLock { $0.proposals.count })
  }

  /// etcd's limit on how far applying may fall behind committing before new proposals are refused.
  static let maxApplyLag: UInt64 = 5000

  /// Starts the loop's thread.
  func start() {
    let thread = Thread { [self] in run() }
    thread.name = "raft"
    thread.stackSize = 4 << 20
    thread.start()
  }

  /// Stops the loop after the Ready in progress (fails every waiter with "server stopped") and waits for it.
  func stop() {
    let first = inbox.withLock { inbox -> Bool in
      guard !inbox.stopped else { return false }
      inbox.commands.append(.stop)
      return true
    }
    guard first else { return }
    wake.signal()
    finished.wait()
  }

  // MARK: Calls from other threads

  /// Queues `command` for the loop and wakes it; false (dropped) once the loop stopped.
  @discardableResult
  func enqueue(_ command: Command) -> Bool {
    let accepted = inbox.withLock { inbox -> Bool in
      guard !inbox.stopped else { return false }
      inbox.commands.append(command)
      return true
    }
    if accepted { wake.signal() }
    return accepted
  }

  /// Queues the proposal `command` whose entry carries `id` and waits until that entry is applied (or the proposal
  /// fails, or its request times out).
  func proposeAndWait(id: UInt64, _ command: Command) async -> Result<AppliedResponse, ServerError> {
    let deadline = clock.now() + settings.requestTimeout
    return await withCheckedContinuation { continuation in
      let accepted = inbox.withLock { inbox -> Bool in
        guard !inbox.stopped else { return false }
        inbox.proposals[id] = Waiter(continuation: continuation, deadline: deadline)
        inbox.commands.append(command)
        return true
      }
      if accepted { wake.signal() } else { continuation.resume(returning: .failure(.stopped)) }
    }
  }

  /// Proposes `request` and waits until it is applied (or fails, or the request times out).
  func submit(_ request: RaftRequest, auth: AuthInfo?) async -> Result<AppliedResponse, ServerError> {
    let id = nextID.add(1, ordering: .relaxed).newValue
    let data: [UInt8]
    do { data = try request.encoded(id: id, auth: auth) } catch { return .failure(error) }
    if data.count > settings.maxRequestBytes { return .failure(.requestTooLarge) }
    let raft = current
    if raft.committedIndex > raft.appliedIndex + Self.maxApplyLag { return .failure(.tooManyRequests) }
    return await proposeAndWait(id: id, .propose(id: id, data: data))
  }

  /// Waits until this member has applied everything committed when the call was made, as confirmed by the leader
  /// (ReadIndex): after it returns, a local read is linearizable.
  func linearizableBarrier() async -> Result<Void, ServerError> {
    let id = nextID.add(1, ordering: .relaxed).newValue
    let deadline = clock.now() + settings.requestTimeout
    let confirmed: Result<LogIndex, ServerError> = await withCheckedContinuation { continuation in
      let accepted = inbox.withLock { inbox -> Bool in
        guard !inbox.stopped else { return false }
        inbox.reads[id] = Waiter(continuation: continuation, deadline: deadline)
        inbox.commands.append(.readIndex(id: id))
        return true
      }
      if accepted { wake.signal() } else { continuation.resume(returning: .failure(.stopped)) }
    }
    guard case .success(let index) = confirmed else { return confirmed.map { _ in () } }
    if status.withLock({ $0.appliedIndex }) >= index { return .success(()) }
    return await withCheckedContinuation { continuation in
      let done = appliedWaiters.withLock { waiters -> Bool in
        // Checked under the lock the loop takes to answer waiters, so no answer is missed.
        if status.withLock({ $0.appliedIndex }) >= index { return true }
        waiters.append(AppliedWaiter(index: index, continuation: continuation, deadline: deadline))
        return false
      }
      if done { continuation.resume(returning: .success(())) }
    }
  }

  // MARK: The loop

  private func run() {
    defer { finished.signal() }
    // Apply what the log already holds (a new cluster's bootstrap conf changes) before taking requests, so a lone
    // voter is leader before its first proposal arrives.
    do {
      while node.hasReady { try handle(node.ready()) }
      campaignIfAlone()
      while node.hasReady { try handle(node.ready()) }
    } catch {
      fail(error as? ServerError ?? .storage("\(error)"))
      return
    }
    while true {
      let commands = inbox.withLock { inbox -> [Command] in
        defer { inbox.commands.removeAll(keepingCapacity: true) }
        return inbox.commands
      }
      for (position, command) in commands.enumerated() {
        switch command {
        case .propose(let id, let data):
          do {
            try node.propose(data)
          } catch {
            if status.withLock({ $0.leader }) == 0 {
              // As etcd, a proposal waits (up to its deadline) for the next leader instead of failing at once.
              waitingForLeader.append((id, data))
            } else {
              answerProposal(id, .failure(.timeout))
            }
          }
        case .proposeConfChange(let id, let change):
          do {
            try node.proposeConfChange(change)
          } catch {
            answerProposal(id, .failure(status.withLock { $0.leader } == 0 ? .noLeader : .timeout))
          }
        case .readIndex(let id):
          node.readIndex(context: Self.context(id))
        case .step(let messages):
          for message in messages {
            logVoteTraffic(message, sent: false)
            do { try node.step(message) } catch {
              log.debug("dropped a peer message", [
                "type": "\(message.type)", "from": String(message.from, radix: 16), "error": "\(error)",
              ])
            }
          }
        case .snapshotArrived(let message, let file):
          receiveSnapshot(message, file: file)
        case .unreachable(let id):
          node.reportUnreachable(id)
        case .snapshotStatus(let id, let failed):
          node.reportSnapshot(id, failed: failed)
        case .transferLeader(let id):
          node.transferLeader(to: id)
        case .inspect(let body):
          body(node.status)
        case .stop:
          abandon(commands.dropFirst(position + 1))
          shutDown()
          return
        }
      }
      let now = clock.now()
      while now - lastTick >= settings.heartbeatInterval {
        node.tick()
        lastTick += settings.heartbeatInterval
      }
      do {
        while node.hasReady { try handle(node.ready()) }
        _ = try store.flushIfDue(now: now)
      } catch {
        fail(error as? ServerError ?? .storage("\(error)"))
        return
      }
      expireLeases(now: now)
      if now - lastTokenPurge >= .seconds(1) {
        lastTokenPurge = now
        applier.auth.purgeExpiredTokens()
      }
      // Deadlines are checked once per heartbeat, not on every wake-up (each check walks every pending waiter).
      if now - lastDeadlineCheck >= settings.heartbeatInterval {
        lastDeadlineCheck = now
        timeOutWaiters(now: now)
      }
      let untilTick = settings.heartbeatInterval - (clock.now() - lastTick)
      _ = wake.wait(timeout: .now() + max(0.001, Double(untilTick.components.attoseconds) / 1e18
        + Double(untilTick.components.seconds)))
    }
  }

  private func handle(_ ready: Ready) throws {
    if let soft = ready.softState {
      logLeadership(from: lastSoftState, to: soft, term: ready.hardState?.term ?? status.withLock { $0.term })
      lastSoftState = soft
      let previous = status.withLock { $0.leader }
      let wasLeader = previous == node.id
      status.withLock { $0.leader = soft.leader }
      if soft.leader != 0 && soft.leader != previous {
        leaderChanges.add(1, ordering: .relaxed)
        leaderArrived = true
      }
      let isLeader = soft.leader == node.id
      if isLeader && !wasLeader {
        leases.promote(now: clock.now(), extend: settings.electionTimeout)
      } else if !isLeader && wasLeader {
        leases.demote()
      }
    }
    if let hardState = ready.hardState {
      status.withLock {
        $0.term = hardState.term
        $0.committedIndex = hardState.commit
      }
    }
    do { try disk.persist(ready) } catch { throw ServerError.storage("\(error)") }
    // A leader sends no vote traffic: only other roles' messages are looked at.
    if lastSoftState.role != .leader { for message in ready.messages { logVoteTraffic(message, sent: true) } }
    if !ready.messages.isEmpty { peers?.send(ready.messages) }
    if let snapshot = ready.snapshot, !snapshot.isEmpty {
      try installSnapshot(snapshot)
    }
    for entry in ready.committedEntries { try applyEntry(entry) }
    if membership.version != syncedMembershipVersion { configurationChanged() }
    for state in ready.readStates {
      if let id = Self.id(fromContext: state.requestContext) { answerRead(id, .success(state.index)) }
    }
    node.advance(ready)
    if leaderArrived {
      leaderArrived = false
      proposeWaitingForLeader()
    }
    if configurationMayLeaveUsAlone {
      configurationMayLeaveUsAlone = false
      campaignIfAlone()
    }
    let applied = applier.appliedIndex
    status.withLock { $0.appliedIndex = applied }
    answerAppliedWaiters(applied)
    if disk.shouldSnapshot(appliedIndex: applied) { try takeSnapshot(at: applied) }
  }

  private func applyEntry(_ entry: Entry) throws {
    switch entry.kind {
    case .normal:
      if let (id, result) = try applier.apply(entry) { answerProposal(id, result) }
    case .confChange:
      try applyConfChange(entry)
    }
  }

  /// Commits the backend (so the store holds everything up to `index`), then writes the Raft snapshot and compacts
  /// the log behind it.
  private func takeSnapshot(at index: LogIndex) throws {
    do {
      try store.commit()
      try disk.saveSnapshot(appliedIndex: index, confState: confState, data: [])
    } catch {
      throw ServerError.storage("snapshot at index \(index) failed: \(error)")
    }
    log.info("saved snapshot", ["snapshot-index": "\(index)"])
  }

  /// The leader revokes expired leases through Raft (every member deletes their keys when the revoke applies).
  private func expireLeases(now: Duration) {
    guard now - lastLeaseCheck >= .milliseconds(500), status.withLock({ $0.leader }) == node.id else { return }
    lastLeaseCheck = now
    for id in leases.expired(now: now) {
      var revoke = Etcdserverpb_LeaseRevokeRequest()
      revoke.id = id
      let requestID = nextID.add(1, ordering: .relaxed).newValue
      if let data = try? RaftRequest.leaseRevoke(revoke).encoded(id: requestID) { try? node.propose(data) }
    }
  }

  // MARK: Answers

  func answerProposal(_ id: UInt64, _ result: Result<AppliedResponse, ServerError>) {
    guard let waiter = inbox.withLock({ $0.proposals.removeValue(forKey: id) }) else { return }
    // A store refusal is an applied outcome; anything else means the proposal itself failed (etcd counts those).
    if case .failure(let error) = result {
      if case .store = error {} else { proposalsFailed.add(1, ordering: .relaxed) }
    }
    waiter.continuation.resume(returning: result)
  }

  private func answerRead(_ id: UInt64, _ result: Result<LogIndex, ServerError>) {
    inbox.withLock { $0.reads.removeValue(forKey: id) }?.continuation.resume(returning: result)
  }

  private func answerAppliedWaiters(_ applied: LogIndex) {
    let due = appliedWaiters.withLock { waiters -> [AppliedWaiter] in
      let due = waiters.filter { $0.index <= applied }
      if !due.isEmpty { waiters.removeAll { $0.index <= applied } }
      return due
    }
    for waiter in due { waiter.continuation.resume(returning: .success(())) }
  }

  private func timeOutWaiters(now: Duration) {
    let (proposals, reads) = inbox.withLock { inbox -> ([Waiter<AppliedResponse>], [Waiter<LogIndex>]) in
      let p = inbox.proposals.filter { $0.value.deadline <= now }
      let r = inbox.reads.filter { $0.value.deadline <= now }
      for key in p.keys { inbox.proposals[key] = nil }
      for key in r.keys { inbox.reads[key] = nil }
      return (Array(p.values), Array(r.values))
    }
    let noLeader = status.withLock { $0.leader } == 0
    proposalsFailed.add(UInt64(proposals.count), ordering: .relaxed)
    for waiter in proposals { waiter.continuation.resume(returning: .failure(noLeader ? .noLeader : .timeout)) }
    for waiter in reads { waiter.continuation.resume(returning: .failure(noLeader ? .noLeader : .timeout)) }
    let applied = appliedWaiters.withLock { waiters -> [AppliedWaiter] in
      let due = waiters.filter { $0.deadline <= now }
      if !due.isEmpty { waiters.removeAll { $0.deadline <= now } }
      return due
    }
    for waiter in applied { waiter.continuation.resume(returning: .failure(.timeout)) }
  }

  /// Fails every waiter with `error` and stops taking requests.
  func fail(_ error: ServerError) {
    log.error("raft loop stopped", ["error": error.description])
    status.withLock { $0.failure = error }
    drain(error)
  }

  private func shutDown() {
    // Backend files of snapshots Raft never installed would otherwise stay in the snap directory.
    for file in arrivedSnapshots.values { try? FileManager.default.removeItem(atPath: file) }
    arrivedSnapshots = [:]
    do { try store.commit() } catch { log.error("final backend commit failed", ["error": "\(error)"]) }
    // Syncs the WAL and releases the data-dir lock, so the member can be opened again.
    do { try disk.close() } catch { log.error("closing the WAL failed", ["error": "\(error)"]) }
    drain(.stopped)
  }

  /// Proposes again what waited for a leader; a proposal whose waiter already timed out is dropped (its client was
  /// told it failed, so it must never apply).
  private func proposeWaitingForLeader() {
    let waiting = waitingForLeader
    waitingForLeader = []
    for (id, data) in waiting where inbox.withLock({ $0.proposals[id] != nil }) {
      do { try node.propose(data) } catch { waitingForLeader.append((id, data)) }
    }
  }

  /// Commands that will never run: inspections learn the loop stopped, received snapshot files go.
  private func abandon(_ commands: some Sequence<Command>) {
    for command in commands {
      switch command {
      case .inspect(let body): body(nil)
      case .snapshotArrived(_, let file): try? FileManager.default.removeItem(atPath: file)
      default: break
      }
    }
  }

  private func drain(_ error: ServerError) {
    let (proposals, reads, leftover) = inbox.withLock {
      inbox -> ([Waiter<AppliedResponse>], [Waiter<LogIndex>], [Command]) in
      inbox.stopped = true
      defer {
        inbox.proposals.removeAll()
        inbox.reads.removeAll()
        inbox.commands.removeAll()
      }
      return (Array(inbox.proposals.values), Array(inbox.reads.values), inbox.commands)
    }
    abandon(leftover)
    proposalsFailed.add(UInt64(proposals.count), ordering: .relaxed)
    for waiter in proposals { waiter.continuation.resume(returning: .failure(error)) }
    for waiter in reads { waiter.continuation.resume(returning: .failure(error)) }
    let applied = appliedWaiters.withLock { waiters in
      defer { waiters.removeAll() }
      return waiters
    }
    for waiter in applied { waiter.continuation.resume(returning: .failure(error)) }
  }

  private static func context(_ id: UInt64) -> [UInt8] { id.bigEndianBytes }

  private static func id(fromContext context: [UInt8]) -> UInt64? {
    guard context.count == 8 else { return nil }
    return UInt64(bigEndianBytes: context)
  }
}
