// An in-memory RaftStorage for tests and simulations.
import Synchronization

/// In-memory storage for tests and the simulation (thread-safe with a lock).
///
/// Internally `entries[0]` is a dummy entry carrying the snapshot's index and term, so term lookups at the snapshot
/// index succeed.
public final class MemoryStorage: RaftStorage, @unchecked Sendable {
  private struct State {
    var hardState = HardState()
    var snapshot = Snapshot()
    var entries: [Entry] = [Entry(term: 0, index: 0)]
    var offset: LogIndex { entries[0].index }
    var lastIndex: LogIndex { entries[0].index + UInt64(entries.count) - 1 }
  }

  private let state: Mutex<State>

  /// Creates an empty storage (no entries, empty hard state and configuration).
  public init() {
    state = Mutex(State())
  }

  /// Creates a storage that starts from `snapshot` (its configuration becomes the initial configuration).
  public init(snapshot: Snapshot) {
    var s = State()
    s.snapshot = snapshot
    s.entries = [Entry(term: snapshot.metadata.term, index: snapshot.metadata.index)]
    state = Mutex(s)
  }

  public func initialState() -> (HardState, ConfState) {
    state.withLock { ($0.hardState, $0.snapshot.metadata.confState) }
  }

  public func entries(from low: LogIndex, to high: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry] {
    let result: Result<[Entry], StorageError> = state.withLock { s in
      if low <= s.offset { return .failure(.compacted) }
      if high > s.lastIndex + 1 || low > high { return .failure(.unavailable) }
      if s.entries.count == 1 { return .failure(.unavailable) }
      let slice = Array(s.entries[Int(low - s.offset)..<Int(high - s.offset)])
      return .success(limitSize(slice, maxSize))
    }
    return try result.get()
  }

  public func term(of index: LogIndex) throws(StorageError) -> Term {
    let result: Result<Term, StorageError> = state.withLock { s in
      if index < s.offset { return .failure(.compacted) }
      if index - s.offset >= UInt64(s.entries.count) { return .failure(.unavailable) }
      return .success(s.entries[Int(index - s.offset)].term)
    }
    return try result.get()
  }

  public func firstIndex() -> LogIndex { state.withLock { $0.offset + 1 } }

  public func lastIndex() -> LogIndex { state.withLock { $0.lastIndex } }

  public func snapshot() throws(StorageError) -> Snapshot { state.withLock { $0.snapshot } }

  /// The stored hard state.
  public var hardState: HardState { state.withLock { $0.hardState } }

  /// Appends entries, truncating any conflicting suffix; entries already compacted are skipped.
  /// Throws `.unavailable` when the entries would leave a gap after the last stored index.
  public func append(_ entries: [Entry]) throws(StorageError) {
    guard let firstNew = entries.first, let lastNew = entries.last else { return }
    let result: Result<Void, StorageError> = state.withLock { s in
      let first = s.offset + 1
      if lastNew.index < first { return .success(()) }
      var ents = entries[...]
      if first > firstNew.index { ents = ents.dropFirst(Int(first - firstNew.index)) }
      let offset = Int(ents.first!.index - s.offset)
      if s.entries.count > offset {
        s.entries.removeSubrange(offset...)
        s.entries.append(contentsOf: ents)
      } else if s.entries.count == offset {
        s.entries.append(contentsOf: ents)
      } else {
        return .failure(.unavailable)
      }
      return .success(())
    }
    try result.get()
  }

  /// Replaces the stored hard state.
  public func setHardState(_ state: HardState) {
    self.state.withLock { $0.hardState = state }
  }

  /// Replaces the whole log with `snapshot`. Throws `.compacted` when it is not newer than the stored snapshot.
  public func applySnapshot(_ snapshot: Snapshot) throws(StorageError) {
    let result: Result<Void, StorageError> = state.withLock { s in
      if s.snapshot.metadata.index >= snapshot.metadata.index { return .failure(.compacted) }
      s.snapshot = snapshot
      s.entries = [Entry(term: snapshot.metadata.term, index: snapshot.metadata.index)]
      return .success(())
    }
    try result.get()
  }

  /// Records a snapshot of the application state at `index` (which must be stored and newer than the current
  /// snapshot) and returns it; `confState` nil keeps the previous snapshot's configuration.
  public func createSnapshot(at index: LogIndex, confState: ConfState?, data: [UInt8]) throws(StorageError)
    -> Snapshot
  {
    let result: Result<Snapshot, StorageError> = state.withLock { s in
      if index <= s.snapshot.metadata.index { return .failure(.compacted) }
      if index > s.lastIndex { return .failure(.unavailable) }
      s.snapshot.metadata.index = index
      s.snapshot.metadata.term = s.entries[Int(index - s.offset)].term
      if let confState { s.snapshot.metadata.confState = confState }
      s.snapshot.data = data
      return .success(s.snapshot)
    }
    return try result.get()
  }

  /// Discards entries up to and including `index` (which must be stored); the entry at `index` becomes the dummy.
  public func compact(upTo index: LogIndex) throws(StorageError) {
    let result: Result<Void, StorageError> = state.withLock { s in
      if index <= s.offset { return .failure(.compacted) }
      if index > s.lastIndex { return .failure(.unavailable) }
      let i = Int(index - s.offset)
      let dummy = Entry(term: s.entries[i].term, index: s.entries[i].index)
      s.entries = [dummy] + s.entries[(i + 1)...]
      return .success(())
    }
    try result.get()
  }
}
