// The batch of work a node hands to the application.

/// Everything the application must do for the node, returned by ``RawNode/ready()`` and acknowledged with
/// ``RawNode/advance(_:)``.
///
/// ## Persist-before-send contract
/// Handle a Ready in this order:
/// 1. If `snapshot` is set, persist it (`MemoryStorage.applySnapshot`).
/// 2. Append `entries` to durable storage (truncating any conflicting suffix).
/// 3. If `hardState` is set, persist it. When `mustSync` is true, fsync steps 1-3 before going on.
/// 4. Only then send `messages`. Every message may depend on the persisted state: a vote response promises the
///    persisted vote, an append response acknowledges persisted entries, and the leader counts its own entries
///    toward the quorum as soon as they are in a Ready. Sending earlier can lose acknowledged data on a crash.
/// 5. Apply `committedEntries` in order (call ``RawNode/applyConfChange(_:)`` for `.confChange` entries), and
///    serve `readStates` once the applied index reaches each `ReadState.index`.
/// 6. Call ``RawNode/advance(_:)`` with this Ready. Do not call `step`, `tick` or `propose` between `ready()` and
///    `advance(_:)`.
public struct Ready: Sendable {
  /// The new volatile state, nil when unchanged since the previous Ready.
  public var softState: SoftState?
  /// The new hard state to persist, nil when unchanged.
  public var hardState: HardState?
  /// Confirmed ReadIndex requests.
  public var readStates: [ReadState]
  /// Entries to persist BEFORE sending `messages`.
  public var entries: [Entry]
  /// A snapshot to persist (and load into the state machine).
  public var snapshot: Snapshot?
  /// Committed entries to apply (already persisted, or in `entries` of this same Ready).
  public var committedEntries: [Entry]
  /// Messages to send after entries/hardState/snapshot are durable.
  public var messages: [Message]
  /// Whether the persisted state must be fsynced before sending (new entries, term or vote changed, snapshot).
  public var mustSync: Bool

  /// Creates a Ready (the node builds them; public for tests and tools).
  public init(
    softState: SoftState? = nil, hardState: HardState? = nil, readStates: [ReadState] = [], entries: [Entry] = [],
    snapshot: Snapshot? = nil, committedEntries: [Entry] = [], messages: [Message] = [], mustSync: Bool = false
  ) {
    self.softState = softState
    self.hardState = hardState
    self.readStates = readStates
    self.entries = entries
    self.snapshot = snapshot
    self.committedEntries = committedEntries
    self.messages = messages
    self.mustSync = mustSync
  }
}

/// A read-only summary of a node, for logging, tests and metrics.
public struct RaftStatus: Sendable, Hashable {
  /// This node.
  public var id: NodeID
  /// The current term.
  public var term: Term
  /// The vote cast in the current term (0 if none).
  public var vote: NodeID
  /// The commit index.
  public var commit: LogIndex
  /// The applied index (as acknowledged through advance).
  public var applied: LogIndex
  /// The known leader (0 if none).
  public var lead: NodeID
  /// The role in the current term.
  public var role: Role
  /// The last index of the node's log (stable or not).
  public var lastIndex: LogIndex
  /// The current configuration.
  public var confState: ConfState
  /// The target of an ongoing leadership transfer (0 if none).
  public var leadTransferee: NodeID
  /// Per-member progress; only filled on the leader.
  public var progress: [NodeID: ProgressSnapshot]
}
