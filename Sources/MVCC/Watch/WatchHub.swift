// The watch hub: every watcher of the member, in three places (etcd's watchable store): synced watchers are fed by
// each commit, unsynced ones catch up from history in bounded rounds, victims hold a response their full stream
// could not take. A commit never waits for a consumer: a full stream turns its watcher into a victim.
import Synchronization

/// Delivers the store's changes to watchers. The store calls `didCommit` after each write transaction; the server
/// calls `syncRound()` often (etcd: every 100 ms, and at once after creating a watch from an old revision) and
/// `tick(now:)` for progress notifications. Neither reads a clock or blocks on a consumer.
public final class WatchHub: WriteObserver, Sendable {
  /// Tuning of the hub.
  public struct Configuration: Sendable {
    /// Revisions read from history per catch-up round (etcd: 1000).
    public var maxRevisionsPerRound: Int64
    /// Unsynced watchers handled per catch-up round (etcd: 512).
    public var maxWatchersPerRound: Int
    /// Interval of progress notifications to watchers that asked for them (etcd: 10 minutes).
    public var progressInterval: Duration

    /// Creates a configuration (etcd's values by default).
    public init(
      maxRevisionsPerRound: Int64 = 1000, maxWatchersPerRound: Int = 512, progressInterval: Duration = .seconds(600)
    ) {
      self.maxRevisionsPerRound = max(1, maxRevisionsPerRound)
      self.maxWatchersPerRound = max(1, maxWatchersPerRound)
      self.progressInterval = progressInterval
    }
  }

  /// Counts for tests, metrics and benchmarks.
  public struct Statistics: Hashable, Sendable {
    public var synced: Int
    public var unsynced: Int
    public var victims: Int
    public var streams: Int
    /// Events held by victims, waiting for room in their streams.
    public var pendingEvents: Int

    /// Creates statistics.
    public init(synced: Int, unsynced: Int, victims: Int, streams: Int, pendingEvents: Int) {
      self.synced = synced
      self.unsynced = unsynced
      self.victims = victims
      self.streams = streams
      self.pendingEvents = pendingEvents
    }
  }

  struct State {
    var currentRevision: Int64
    var synced = WatcherGroup()
    var unsynced: [Int: Watcher] = [:]
    var victims: [Int: Watcher] = [:]
    var streams: [Int: StreamRecord] = [:]
    var nextSerial = 0
    var nextStreamID = 0
    var syncing = false
    /// Catch-up rounds serve unsynced watchers with serials above this one first.
    var syncCursor = -1
    /// The last error reading history (the round is retried).
    var lastSyncError: MVCCError?
    /// Counts store restores: a catch-up round that started before one read the replaced history and is dropped.
    var restores = 0
    /// Reused by `didCommit` so a write allocates no match list.
    var scratch: [Watcher] = []
  }

  let source: any WatchEventSource
  let configuration: Configuration
  let state: Mutex<State>

  /// Creates a hub over `source`, starting at its current revision.
  public init(source: any WatchEventSource, configuration: Configuration = Configuration()) {
    self.source = source
    self.configuration = configuration
    self.state = Mutex(State(currentRevision: source.currentRevision))
  }

  /// Opens a stream (one per gRPC Watch call). `bufferCapacity` bounds the responses waiting for the client (etcd:
  /// 128); `maxResponseBytes` is the size above which responses of watchers that asked for fragments are split
  /// (etcd: --max-request-bytes); `headerBytes` is the encoded size of the API layer's response header.
  public func openStream(
    bufferCapacity: Int = 128, maxResponseBytes: Int = 1_572_864, headerBytes: Int = 46
  ) -> WatchStream {
    let outbox = WatchOutbox(capacity: max(1, bufferCapacity))
    let id = state.withLock { s in
      let id = s.nextStreamID
      s.nextStreamID += 1
      s.streams[id] = StreamRecord(id: id, outbox: outbox)
      return id
    }
    return WatchStream(hub: self, id: id, outbox: outbox, maxResponseBytes: maxResponseBytes, headerBytes: headerBytes)
  }

  /// The revision of the last commit the hub saw.
  public var currentRevision: Int64 { state.withLock { $0.currentRevision } }

  /// Where the watchers stand.
  public var statistics: Statistics {
    state.withLock { s in
      Statistics(
        synced: s.synced.count, unsynced: s.unsynced.count, victims: s.victims.count, streams: s.streams.count,
        pendingEvents: s.victims.values.reduce(0) { $0 + ($1.pending?.events.count ?? 0) })
    }
  }

  /// The last error reading history, if the last catch-up round failed (it is retried on the next round).
  public var lastSyncError: MVCCError? { state.withLock { $0.lastSyncError } }

  // MARK: Commits

  /// Hands the changes of one committed transaction to the synced watchers. Never waits: a watcher whose stream is
  /// full keeps the response aside as a victim and leaves the synced group.
  ///
  /// Commits are expected one revision after another. A revision the hub already passed is ignored (whoever needs
  /// it is catching up from history); a revision beyond the next one (a notification still on its way, or commits
  /// made before the hub was attached) sends every synced watcher back to catch up from history, which holds every
  /// committed revision, so nothing is lost or repeated either way.
  public func didCommit(revision: Int64, events: [Event]) {
    state.withLock { s in
      guard revision > s.currentRevision else { return }
      let gap = revision > s.currentRevision + 1
      s.currentRevision = revision
      if gap { Self.demoteSynced(in: &s) }
      guard !s.synced.isEmpty, !events.isEmpty else { return }
      var matches = s.scratch
      s.scratch = []
      if events.count == 1 {
        s.synced.collect(matching: events[0].kv.key, into: &matches)
        for watcher in matches { Self.deliver(events, to: watcher, revision: revision, in: &s) }
      } else {
        for event in events { s.synced.collect(matching: event.kv.key, into: &matches) }
        deliverGrouped(events, matches: matches, revision: revision, in: &s)
      }
      matches.removeAll(keepingCapacity: true)
      s.scratch = matches
    }
  }

  /// Sends every synced watcher that has not seen the current revision back to catch up from history.
  static func demoteSynced(in s: inout State) {
    for stream in s.streams.values {
      for watcher in stream.watchers.values where watcher.place == .synced {
        place(watcher, in: &s)
      }
    }
  }

  /// A transaction touching several keys: each watcher gets one response with its events in order.
  private func deliverGrouped(_ events: [Event], matches: [Watcher], revision: Int64, in s: inout State) {
    var seen = Set<Int>()
    for watcher in matches where seen.insert(watcher.serial).inserted {
      let own = events.filter { watcher.range.contains($0.kv.key) }
      Self.deliver(own, to: watcher, revision: revision, in: &s)
    }
  }

  /// Sends a synced watcher the events of `revision` that concern it, or makes it a victim when its stream is full.
  private static func deliver(_ events: [Event], to watcher: Watcher, revision: Int64, in s: inout State) {
    guard watcher.minRev <= revision else { return }  // started in the future
    watcher.minRev = revision + 1
    guard let response = watcher.eventResponse(events, revision: revision) else { return }
    if watcher.stream.outbox.offer(response) {
      watcher.sentSinceProgressCheck = true
    } else {
      makeVictim(watcher, holding: response, in: &s)
    }
  }

  /// Sets `response` aside for a watcher whose stream is full; the watcher leaves its group until it is delivered.
  static func makeVictim(_ watcher: Watcher, holding response: WatchResponse, in s: inout State) {
    switch watcher.place {
    case .synced: s.synced.remove(watcher)
    case .unsynced: s.unsynced[watcher.serial] = nil
    case .victim, .removed: break
    }
    watcher.pending = response
    watcher.place = .victim
    s.victims[watcher.serial] = watcher
    watcher.stream.outbox.victimsWaiting.store(true, ordering: .releasing)
  }
}
