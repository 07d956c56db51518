// Auto-compaction as a pure policy (etcd 3.4's compactor package): fed with time and the store revision, it says
// when to compact to which revision. The server's timer feeds it and applies the compaction through Raft.

/// etcd's `--auto-compaction-mode` with its `--auto-compaction-retention`.
public enum AutoCompactionMode: Hashable, Sendable {
  /// Keep the history of the last `retention` (etcd "periodic", e.g. "1h").
  case periodic(retention: Duration)
  /// Keep the last `retention` revisions (etcd "revision", e.g. "1000").
  case revision(retention: Int64)
}

/// Decides auto-compactions like etcd 3.4.
///
/// Periodic: the revision is sampled every min(retention, 1 h) / 10; the first compaction comes `retention` after the
/// start, then one every min(retention, 1 h), each to the oldest sample kept (the revision of about `retention` ago).
/// Revision: every 5 minutes, compact to current - retention when positive and not the last one done.
/// A failed compaction is retried at the next check.
public struct AutoCompactionPolicy: Sendable {
  /// The mode and retention.
  public let mode: AutoCompactionMode
  private var samples: [Int64] = []
  private var lastSuccess: Duration
  private var nextCheck: Duration
  private var waitedFirstPeriod = false
  private var lastCompacted: Int64 = 0

  /// etcd's revision-mode check interval.
  public static let revisionCheckInterval: Duration = .seconds(300)

  /// Starts the policy at monotonic time `start` (the caller's clock).
  public init(mode: AutoCompactionMode, start: Duration) {
    self.mode = mode
    lastSuccess = start
    nextCheck = start
  }

  private var compactInterval: Duration {
    guard case .periodic(let retention) = mode else { return Self.revisionCheckInterval }
    return min(retention, .seconds(3600))
  }

  private var sampleInterval: Duration {
    guard case .periodic = mode else { return Self.revisionCheckInterval }
    return compactInterval / 10
  }

  private var samplesKept: Int {
    guard case .periodic(let retention) = mode else { return 1 }
    return Int(retention / sampleInterval) + 1
  }

  /// When the caller should call `tick` next.
  public var nextTick: Duration { nextCheck }

  /// Feeds the time and the current store revision; returns the revision to compact to now, if any. Report the
  /// outcome with `compacted(at:now:succeeded:)`.
  public mutating func tick(now: Duration, currentRevision: Int64) -> Int64? {
    guard now >= nextCheck else { return nil }
    nextCheck = now + sampleInterval
    switch mode {
    case .revision(let retention):
      let target = currentRevision - retention
      guard target > 0, target != lastCompacted else { return nil }
      return target
    case .periodic(let retention):
      samples.append(currentRevision)
      if samples.count > samplesKept { samples.removeFirst(samples.count - samplesKept) }
      let interval = waitedFirstPeriod ? compactInterval : retention
      guard now - lastSuccess >= interval, let oldest = samples.first, oldest > lastCompacted else { return nil }
      return oldest
    }
  }

  /// Records the outcome of the compaction `tick` asked for (a "compacted" refusal counts as success, as in etcd).
  public mutating func compacted(at revision: Int64, now: Duration, succeeded: Bool) {
    guard succeeded else { return }
    lastCompacted = revision
    lastSuccess = now
    waitedFirstPeriod = true
  }
}
