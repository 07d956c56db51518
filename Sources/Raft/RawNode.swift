// The application-facing, thread-unsafe node: a value wrapping the Raft state machine plus Ready bookkeeping.

/// A Raft node driven by the application: feed it ticks, messages and proposals; take its ``Ready``, persist,
/// send, apply, then ``advance(_:)``. A value type: keep one copy and mutate it in place (never use two copies).
public struct RawNode: Sendable {
  var raft: RaftCore
  private var previousSoftState: SoftState
  private var previousHardState: HardState

  /// Creates a node from its configuration and the state in `config.storage`.
  public init(config: RaftConfig) throws(RaftError) {
    raft = try RaftCore(config: config)
    previousSoftState = raft.softState
    previousHardState = raft.hardState
  }

  /// This node's ID.
  public var id: NodeID { raft.id }

  /// Advances the logical clock by one tick (election and heartbeat timeouts are counted in ticks).
  public mutating func tick() { raft.tick() }

  /// Starts an election now (a PreVote round first when `preVote` is on).
  public mutating func campaign() throws(RaftError) {
    try raft.step(Message(type: .hup, from: raft.id))
  }

  /// Proposes data to be appended to the log. Throws ``RaftError/proposalDropped`` when it cannot be.
  /// Success does not mean commitment: watch `committedEntries`.
  public mutating func propose(_ data: [UInt8]) throws(RaftError) {
    try raft.step(Message(type: .propose, from: raft.id, entries: [Entry(term: 0, index: 0, data: data)]))
  }

  /// Proposes a membership change. Only one may be pending: while another is unapplied, the leader turns this one
  /// into an empty normal entry (it is silently ignored, as in etcd), so the application must watch for it.
  public mutating func proposeConfChange(_ change: ConfChange) throws(RaftError) {
    try raft.step(Message(type: .propose, from: raft.id,
                          entries: [Entry(term: 0, index: 0, kind: .confChange, data: change.encoded())]))
  }

  /// Applies a committed conf change (call it when applying its entry) and returns the new configuration.
  public mutating func applyConfChange(_ change: ConfChange) -> ConfState {
    raft.applyConfChange(change)
  }

  /// Steps a message received from a peer. Local message types are refused; responses from non-members too.
  public mutating func step(_ message: Message) throws(RaftError) {
    if message.isLocal { throw .stepLocalMessage }
    if message.isResponse && raft.tracker.progress[message.from] == nil { throw .stepPeerNotFound }
    try raft.step(message)
  }

  /// Requests a linearizable read point; the answer arrives as a ``ReadState`` with the same context.
  /// Dropped silently when no leader is known (retry later).
  public mutating func readIndex(context: [UInt8]) {
    _ = try? raft.step(Message(type: .readIndex, from: raft.id, entries: [Entry(term: 0, index: 0, data: context)]))
  }

  /// Asks the leader to hand leadership to `target` (forwarded when called on a follower).
  public mutating func transferLeader(to target: NodeID) {
    _ = try? raft.step(Message(type: .transferLeader, from: target))
  }

  /// Reports that the last message to `id` could not be delivered.
  public mutating func reportUnreachable(_ id: NodeID) {
    _ = try? raft.step(Message(type: .unreachable, from: id))
  }

  /// Reports the outcome of sending a snapshot to `id`.
  public mutating func reportSnapshot(_ id: NodeID, failed: Bool) {
    _ = try? raft.step(Message(type: .snapshotStatus, from: id, reject: failed))
  }

  /// Whether ``ready()`` would return any work.
  public var hasReady: Bool {
    if raft.softState != previousSoftState { return true }
    let hs = raft.hardState
    if !hs.isEmpty && hs != previousHardState { return true }
    if raft.log.hasPendingSnapshot { return true }
    if !raft.messages.isEmpty || !raft.log.unstableEntries.isEmpty || raft.log.hasNextCommittedEntries {
      return true
    }
    return !raft.readStates.isEmpty
  }

  /// Collects the pending work (see the persist-before-send contract on ``Ready``). Outgoing messages and read
  /// states are handed over now; call ``advance(_:)`` once the Ready has been handled.
  public mutating func ready() -> Ready {
    let soft = raft.softState
    let hard = raft.hardState
    var rd = Ready()
    rd.entries = raft.log.unstableEntries
    rd.committedEntries = raft.log.nextCommittedEntries()
    rd.messages = raft.messages
    rd.readStates = raft.readStates
    if soft != previousSoftState {
      rd.softState = soft
      previousSoftState = soft
    }
    if !hard.isEmpty && hard != previousHardState { rd.hardState = hard }
    if let snapshot = raft.log.unstable.snapshot, !snapshot.isEmpty { rd.snapshot = snapshot }
    rd.mustSync = !rd.entries.isEmpty || rd.snapshot != nil
      || hard.term != previousHardState.term || hard.vote != previousHardState.vote
    raft.messages = []
    raft.readStates = []
    return rd
  }

  /// Acknowledges a Ready: its entries and snapshot are persisted and its committed entries applied.
  public mutating func advance(_ rd: Ready) {
    if let hs = rd.hardState { previousHardState = hs }
    if let snapshot = rd.snapshot {
      raft.log.stableSnapTo(snapshot.metadata.index)
      if snapshot.metadata.index > raft.log.applied { raft.log.appliedTo(snapshot.metadata.index) }
    }
    if let last = rd.entries.last { raft.log.stableTo(index: last.index, term: last.term) }
    if let last = rd.committedEntries.last {
      raft.log.appliedTo(last.index)
      raft.reduceUncommittedSize(rd.committedEntries)
    }
  }

  /// A summary of the node's state.
  public var status: RaftStatus {
    var progress: [NodeID: ProgressSnapshot] = [:]
    if raft.role == .leader {
      for (id, pr) in raft.tracker.progress { progress[id] = pr.publicSnapshot }
    }
    return RaftStatus(id: raft.id, term: raft.term, vote: raft.vote, commit: raft.log.committed,
                      applied: raft.log.applied, lead: raft.lead, role: raft.role, lastIndex: raft.log.lastIndex,
                      confState: raft.tracker.confState, leadTransferee: raft.leadTransferee, progress: progress)
  }
}
