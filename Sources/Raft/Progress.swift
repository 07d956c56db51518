// The leader's view of one follower's log: match/next and the flow-control state.

/// The replication state of a follower as tracked by the leader.
public enum ProgressState: Sendable, Hashable {
  /// The leader does not know the follower's match yet: at most one append in flight, then wait.
  case probe
  /// The follower is in sync: appends are streamed optimistically, bounded by the inflight window.
  case replicate
  /// The follower needs (and is being sent) a snapshot; no appends until it reports back.
  case snapshot
}

/// Per-follower replication progress (kept by the leader).
struct Progress: Sendable, Hashable {
  var match: LogIndex
  var next: LogIndex
  var state: ProgressState = .probe
  /// In snapshot state: the index of the snapshot being sent.
  var pendingSnapshot: LogIndex = 0
  /// Whether the follower was heard from since the last CheckQuorum round.
  var recentActive = false
  /// In probe state: an append was sent and we wait for its answer (or a heartbeat response).
  var msgAppFlowPaused = false
  var inflights: Inflights
  var isLearner: Bool

  init(match: LogIndex = 0, next: LogIndex, maxInflight: Int, isLearner: Bool) {
    self.match = match
    self.next = next
    self.inflights = Inflights(capacity: maxInflight)
    self.isLearner = isLearner
  }

  private mutating func resetState(_ newState: ProgressState) {
    msgAppFlowPaused = false
    pendingSnapshot = 0
    state = newState
    inflights.reset()
  }

  mutating func becomeProbe() {
    if state == .snapshot {
      let pending = pendingSnapshot
      resetState(.probe)
      next = max(match + 1, pending + 1)
    } else {
      resetState(.probe)
      next = match + 1
    }
  }

  mutating func becomeReplicate() {
    resetState(.replicate)
    next = match + 1
  }

  mutating func becomeSnapshot(_ index: LogIndex) {
    resetState(.snapshot)
    pendingSnapshot = index
  }

  /// An acknowledgement of `index`: returns whether match advanced.
  mutating func maybeUpdate(_ index: LogIndex) -> Bool {
    var updated = false
    if match < index {
      match = index
      updated = true
      msgAppFlowPaused = false
    }
    next = max(next, index + 1)
    return updated
  }

  /// Records that an append with `entryCount` entries ending at `lastIndex` was sent.
  mutating func sentEntries(count entryCount: Int, lastIndex: LogIndex) {
    switch state {
    case .replicate:
      if entryCount > 0 {
        next = lastIndex + 1
        inflights.add(lastIndex)
      }
    case .probe:
      msgAppFlowPaused = true
    case .snapshot:
      preconditionFailure("sending append in snapshot state")
    }
  }

  /// A rejection of the append at `rejected`; `matchHint` is where to probe next. Returns false for stale
  /// rejections.
  mutating func maybeDecrTo(rejected: LogIndex, matchHint: LogIndex) -> Bool {
    if state == .replicate {
      // Stale rejection of an index we already know matches.
      if rejected <= match { return false }
      next = match + 1
      return true
    }
    // In probe state only the answer to the last probe (next - 1) counts.
    if next - 1 != rejected { return false }
    next = max(min(rejected, matchHint + 1), match + 1)
    msgAppFlowPaused = false
    return true
  }

  var isPaused: Bool {
    switch state {
    case .probe: return msgAppFlowPaused
    case .replicate: return inflights.isFull
    case .snapshot: return true
    }
  }
}

/// A public, read-only copy of a follower's progress (in ``RaftStatus``).
public struct ProgressSnapshot: Sendable, Hashable {
  /// Highest index known replicated on the follower.
  public var match: LogIndex
  /// Next index to send.
  public var next: LogIndex
  /// Flow-control state.
  public var state: ProgressState
  /// Index of the snapshot in flight (snapshot state).
  public var pendingSnapshot: LogIndex
  /// Heard from during the current CheckQuorum period.
  public var recentActive: Bool
  /// Whether the follower is a learner.
  public var isLearner: Bool
  /// Number of in-flight append messages.
  public var inflight: Int
  /// Whether sending is paused (probe waiting, window full, or snapshot in flight).
  public var isPaused: Bool
}

extension Progress {
  var publicSnapshot: ProgressSnapshot {
    ProgressSnapshot(match: match, next: next, state: state, pendingSnapshot: pendingSnapshot,
                     recentActive: recentActive, isLearner: isLearner, inflight: inflights.count,
                     isPaused: isPaused)
  }
}
