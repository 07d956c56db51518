// The watch tests' history: the real KV store in a temporary directory, with shorthands for writes and a count of
// the hub's history reads. Call `remove()` when done (it also unhooks the hub, so the store is released).
import MVCC
import Synchronization
import Testing

final class StoreHistory: WatchEventSource {
  enum Op {
    case put([UInt8], [UInt8])
    case delete([UInt8])
  }

  private let fixture = StoreFixture()
  let store: KVStore
  private let reads = Atomic<Int>(0)

  init() throws {
    store = try fixture.open()
  }

  /// Told after each commit (the store's observer).
  var observer: (any WriteObserver)? {
    get { store.observer }
    set { store.observer = newValue }
  }

  var currentRevision: Int64 { store.currentRevision }
  var compactedRevision: Int64 { store.compactedRevision }
  /// How many times the watch layer read history.
  var eventReads: Int { reads.load(ordering: .relaxed) }

  func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event] {
    reads.add(1, ordering: .relaxed)
    return try store.events(from: from, through: through, limit: limit)
  }

  func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue? {
    try store.value(of: key, atRevision: rev)
  }

  @discardableResult
  func put(_ key: String, _ value: String) -> Int64 { commit([.put(b(key), b(value))]) }

  @discardableResult
  func delete(_ key: String) -> Int64 { commit([.delete(b(key))]) }

  /// Applies `ops` as one store transaction (one revision when anything changed); returns the store's revision. A
  /// store error is recorded as a test failure.
  @discardableResult
  func commit(_ ops: [Op]) -> Int64 {
    let requests = ops.map { op -> RequestOp in
      switch op {
      case .put(let key, let value): return .put(PutRequest(key: key, value: value))
      case .delete(let key): return .deleteRange(DeleteRangeRequest(key: key))
      }
    }
    do {
      return try store.txn(TxnRequest(success: requests)).revision
    } catch {
      Issue.record(error, "commit \(ops)")
      return store.currentRevision
    }
  }

  /// Compacts the store at `revision` (reads below it fail from now on).
  func compact(_ revision: Int64) throws(MVCCError) {
    try store.compact(revision)
  }

  /// Unhooks the observer and deletes the store's directory.
  func remove() {
    store.observer = nil
    fixture.remove()
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

/// A hub over a fresh store, wired as the store's observer. Call `history.remove()` at the end.
func makeHub(
  _ configuration: WatchHub.Configuration = WatchHub.Configuration()
) throws -> (StoreHistory, WatchHub) {
  let history = try StoreHistory()
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
