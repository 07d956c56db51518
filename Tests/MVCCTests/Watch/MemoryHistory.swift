// A small in-memory store for watch tests: applies puts, deletes and multi-key transactions, keeps every event
// (until compaction) and tells its observer after each commit, as the SQLite store does.
import MVCC
import Synchronization

final class MemoryHistory: WatchEventSource {
  enum Op {
    case put([UInt8], [UInt8])
    case delete([UInt8])
  }

  private struct State {
    var current: Int64 = 1
    var compacted: Int64 = 0
    var live: [[UInt8]: KeyValue] = [:]
    var log: [Event] = []
    var eventReads = 0
  }

  private let state = Mutex(State())
  private let observerBox = Mutex<(any WriteObserver)?>(nil)
  /// Told after each commit.
  var observer: (any WriteObserver)? {
    get { observerBox.withLock { $0 } }
    set { observerBox.withLock { $0 = newValue } }
  }

  var currentRevision: Int64 { state.withLock { $0.current } }
  var compactedRevision: Int64 { state.withLock { $0.compacted } }
  /// How many times the watch layer read history.
  var eventReads: Int { state.withLock { $0.eventReads } }

  @discardableResult
  func put(_ key: String, _ value: String) -> Int64 { commit([.put(Array(key.utf8), Array(value.utf8))]) }

  @discardableResult
  func delete(_ key: String) -> Int64 { commit([.delete(Array(key.utf8))]) }

  /// Applies `ops` as one transaction (one revision) and notifies the observer.
  @discardableResult
  func commit(_ ops: [Op]) -> Int64 {
    let (revision, events) = state.withLock { s -> (Int64, [Event]) in
      let rev = s.current + 1
      var events: [Event] = []
      for op in ops {
        switch op {
        case .put(let key, let value):
          let old = s.live[key]
          let kv = KeyValue(
            key: key, createRevision: old?.createRevision ?? rev, modRevision: rev, version: (old?.version ?? 0) + 1,
            value: value)
          s.live[key] = kv
          events.append(Event(kind: .put, kv: kv))
        case .delete(let key):
          guard s.live.removeValue(forKey: key) != nil else { continue }
          events.append(Event(kind: .delete, kv: KeyValue(key: key, createRevision: 0, modRevision: rev, version: 0, value: [])))
        }
      }
      guard !events.isEmpty else { return (s.current, []) }
      s.current = rev
      s.log.append(contentsOf: events)
      return (rev, events)
    }
    if !events.isEmpty { observer?.didCommit(revision: revision, events: events) }
    return revision
  }

  /// Forgets history before `revision` (etcd keeps the revision itself).
  func compact(_ revision: Int64) {
    state.withLock { s in
      s.compacted = revision
      s.log.removeAll { $0.kv.modRevision < revision }
    }
  }

  func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event] {
    try state.withLock { s throws(MVCCError) -> [Event] in
      s.eventReads += 1
      guard from >= s.compacted else { throw .compacted(requested: from, compactedRevision: s.compacted) }
      var low = 0
      var high = s.log.count
      while low < high {
        let mid = (low + high) / 2
        if s.log[mid].kv.modRevision < from { low = mid + 1 } else { high = mid }
      }
      var result: [Event] = []
      for event in s.log[low...] {
        if event.kv.modRevision > through || (limit > 0 && result.count == limit) { break }
        result.append(event)
      }
      return result
    }
  }

  func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue? {
    try state.withLock { s throws(MVCCError) -> KeyValue? in
      guard rev >= s.compacted else { throw .compacted(requested: rev, compactedRevision: s.compacted) }
      guard let last = s.log.last(where: { $0.kv.key == key && $0.kv.modRevision <= rev }) else { return nil }
      return last.kind == .put ? last.kv : nil
    }
  }
}

/// Shorthands for tests.
extension WatchStream {
  /// Every response waiting now.
  func drain() -> [WatchResponse] {
    var responses: [WatchResponse] = []
    while let response = poll() { responses.append(response) }
    return responses
  }
}

extension WatchHub {
  /// Runs catch-up rounds until nothing is pending or `rounds` ran; returns the rounds run.
  @discardableResult
  func syncUntilIdle(maxRounds: Int = 10_000) -> Int {
    var rounds = 0
    while rounds < maxRounds && syncRound() { rounds += 1 }
    return rounds
  }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A hub over a fresh history, wired as the store's observer.
func makeHub(
  _ configuration: WatchHub.Configuration = WatchHub.Configuration()
) -> (MemoryHistory, WatchHub) {
  let history = MemoryHistory()
  let hub = WatchHub(source: history, configuration: configuration)
  history.observer = hub
  return (history, hub)
}

extension Array where Element == WatchResponse {
  /// The (key, revision) of every event, in order.
  var eventStamps: [String] {
    flatMap { $0.events.map { "\(String(decoding: $0.kv.key, as: UTF8.self))@\($0.kv.modRevision)" } }
  }
}
