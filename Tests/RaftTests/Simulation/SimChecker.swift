// The safety invariants of the simulation. Logs, hard states and state machines only change when a node persists
// or applies a Ready, so each invariant is checked at exactly those points (incrementally, which is equivalent to
// re-checking every node's whole state after every step), and the leader-based ones after every step.
import Raft

/// A broken invariant: what was violated, at which simulated time.
struct SimViolation: Error, CustomStringConvertible {
  var invariant: String
  var detail: String
  var description: String { "\(invariant): \(detail)" }
}

/// The global history the invariants are checked against.
struct SimChecker {
  private struct IndexTerm: Hashable {
    var index: LogIndex
    var term: Term
  }

  private struct LoggedEntry {
    var kind: EntryKind
    var data: [UInt8]
    var prevTerm: Term?
  }

  /// The first application of an index by any node.
  struct Applied {
    var term: Term
    var stateHash: UInt64
    /// The applying node's term when it applied: the entry was committed in a term <= this, so every leader of
    /// this term or later must hold it (leader completeness).
    var termBound: Term
    var firstNode: NodeID
  }

  private var leaderOfTerm: [Term: NodeID] = [:]
  private var logged: [IndexTerm: LoggedEntry] = [:]
  private(set) var applied: [LogIndex: Applied] = [:]
  private(set) var maxApplied: LogIndex = 0
  private var persistedCommit: [NodeID: LogIndex] = [:]
  /// Leader completeness is checked incrementally: per node, the term it led and how far it was checked.
  private var leaderChecked: [NodeID: (term: Term, upTo: LogIndex)] = [:]
  /// ReadIndex requests: context -> the highest commit index any node knew when the read was issued.
  private var reads: [[UInt8]: LogIndex] = [:]
  private(set) var maxKnownCommit: LogIndex = 0

  /// Index 1 is the bootstrap snapshot every node starts from.
  init(bootstrapTerm: Term) {
    applied[1] = Applied(term: bootstrapTerm, stateHash: 0, termBound: bootstrapTerm, firstNode: 0)
    maxApplied = 1
    maxKnownCommit = 1
  }

  // MARK: Election safety

  /// At most one leader per term, over the whole history.
  mutating func observeLeader(_ id: NodeID, term: Term) throws(SimViolation) {
    if let other = leaderOfTerm[term], other != id {
      throw SimViolation(invariant: "election safety", detail: "n\(other) and n\(id) were both leader in term \(term)")
    }
    leaderOfTerm[term] = id
  }

  // MARK: Log matching and committed entries never lost

  /// Checked before `entries` are appended to `storage`: no persisted-committed entry may be overwritten.
  func checkAppend(_ id: NodeID, _ entries: [Entry], storage: MemoryStorage) throws(SimViolation) {
    let commit = persistedCommit[id, default: 0]
    for e in entries where e.index <= commit {
      if let existing = try? storage.term(of: e.index), existing != e.term {
        throw SimViolation(
          invariant: "committed entry lost",
          detail: "n\(id) overwrote committed entry \(e.index) (term \(existing)) with term \(e.term), commit=\(commit)")
      }
    }
  }

  /// After `entries` were appended to a node's storage: an (index, term) pair always names the same entry with the
  /// same predecessor term, which by induction makes equal (index, term) imply identical prefixes.
  mutating func recordAppended(_ id: NodeID, _ entries: [Entry], storage: MemoryStorage) throws(SimViolation) {
    var previous: Entry?
    for e in entries {
      if let p = previous, p.index + 1 != e.index {
        throw SimViolation(invariant: "log matching", detail: "n\(id) persisted non-contiguous entries \(p.index), \(e.index)")
      }
      previous = e
      let prevTerm: Term? = e.index <= 1 ? 0 : (try? storage.term(of: e.index - 1))
      let key = IndexTerm(index: e.index, term: e.term)
      if var known = logged[key] {
        if known.kind != e.kind || known.data != e.data {
          throw SimViolation(
            invariant: "log matching",
            detail: "n\(id) holds a different entry at index \(e.index) term \(e.term) than another node")
        }
        if let mine = prevTerm {
          if let theirs = known.prevTerm, theirs != mine {
            throw SimViolation(
              invariant: "log matching",
              detail: "n\(id) has term \(mine) at index \(e.index - 1) before entry \(e.index)@\(e.term); another log has term \(theirs)")
          }
          if known.prevTerm == nil {
            known.prevTerm = mine
            logged[key] = known
          }
        }
      } else {
        logged[key] = LoggedEntry(kind: e.kind, data: e.data, prevTerm: prevTerm)
      }
    }
  }

  /// The persisted commit index of a node never decreases (the storage survives restarts), and never points past
  /// what the node has persisted.
  mutating func recordHardState(_ id: NodeID, _ state: HardState, storage: MemoryStorage) throws(SimViolation) {
    let before = persistedCommit[id, default: 0]
    if state.commit < before {
      throw SimViolation(
        invariant: "committed entry lost", detail: "n\(id) persisted commit \(state.commit) after commit \(before)")
    }
    let last = max(storage.lastIndex(), storage.firstIndex() - 1)
    if state.commit > last {
      throw SimViolation(
        invariant: "committed entry lost", detail: "n\(id) persisted commit \(state.commit) beyond its last index \(last)")
    }
    persistedCommit[id] = state.commit
    maxKnownCommit = max(maxKnownCommit, state.commit)
  }

  /// A full, non-incremental log matching sweep over every pair of stored logs (run at the end of each run as a
  /// cross-check of the incremental one): if two logs agree on the term at an index, they hold identical entries
  /// at every index below it that both still store.
  func checkAllLogs(_ storages: [(NodeID, MemoryStorage)]) throws(SimViolation) {
    let logs = storages.map { id, s in
      (id, s.firstIndex(), (try? s.entries(from: s.firstIndex(), to: s.lastIndex() + 1, maxSize: .max)) ?? [])
    }
    for (i, a) in logs.enumerated() {
      for b in logs[(i + 1)...] {
        let low = max(a.1, b.1)
        let aEntries = a.2.filter { $0.index >= low }
        let bEntries = b.2.filter { $0.index >= low }
        let common = min(aEntries.count, bEntries.count)
        guard let agreed = (0..<common).last(where: { aEntries[$0].term == bEntries[$0].term }) else { continue }
        for k in 0...agreed where aEntries[k] != bEntries[k] {
          throw SimViolation(
            invariant: "log matching",
            detail: "n\(a.0) and n\(b.0) agree on term \(aEntries[agreed].term) at \(aEntries[agreed].index) but differ at \(aEntries[k].index)")
        }
      }
    }
  }

  // MARK: State machine safety

  /// A node applied `entry`, reaching `stateHash`: no two nodes may apply different entries at an index (the hash
  /// covers the whole applied history, so equal hashes mean equal histories).
  mutating func recordApply(_ id: NodeID, _ entry: Entry, stateHash: UInt64, nodeTerm: Term) throws(SimViolation) {
    if let first = applied[entry.index] {
      if first.term != entry.term || first.stateHash != stateHash {
        throw SimViolation(
          invariant: "state machine safety",
          detail: "n\(id) applied \(entry.index)@\(entry.term) (state \(hex(stateHash))) but n\(first.firstNode) applied \(entry.index)@\(first.term) (state \(hex(first.stateHash)))")
      }
    } else {
      if entry.index != maxApplied + 1 {
        throw SimViolation(
          invariant: "state machine safety", detail: "n\(id) applied \(entry.index) but no node applied \(maxApplied + 1)")
      }
      applied[entry.index] = Applied(term: entry.term, stateHash: stateHash, termBound: nodeTerm, firstNode: id)
      maxApplied = entry.index
    }
  }

  /// A node restored a snapshot: it must be the state some node reached by applying up to its index.
  func checkSnapshotRestore(_ id: NodeID, _ metadata: SnapshotMetadata, stateHash: UInt64) throws(SimViolation) {
    guard let first = applied[metadata.index] else {
      throw SimViolation(
        invariant: "state machine safety", detail: "n\(id) got a snapshot at \(metadata.index) that no node applied")
    }
    if first.term != metadata.term || first.stateHash != stateHash {
      throw SimViolation(
        invariant: "state machine safety",
        detail: "n\(id) restored snapshot \(metadata.index)@\(metadata.term) (state \(hex(stateHash))) but \(metadata.index)@\(first.term) has state \(hex(first.stateHash))")
    }
  }

  // MARK: Leader completeness

  /// Every entry committed in a term <= the leader's term is in the leader's log (or covered by its snapshot).
  mutating func checkLeaderCompleteness(_ id: NodeID, term: Term, storage: MemoryStorage) throws(SimViolation) {
    var from: LogIndex = 1
    if let mark = leaderChecked[id], mark.term == term { from = mark.upTo + 1 }
    guard from <= maxApplied else { return }
    let compactedUpTo = storage.firstIndex() - 1
    for index in from...maxApplied {
      guard let record = applied[index], record.termBound <= term, index > compactedUpTo else { continue }
      let held = try? storage.term(of: index)
      if held != record.term {
        throw SimViolation(
          invariant: "leader completeness",
          detail: "n\(id) leads term \(term) without committed entry \(index)@\(record.term) (it has \(held.map { "term \($0)" } ?? "nothing"))")
      }
    }
    leaderChecked[id] = (term, maxApplied)
  }

  // MARK: Linearizable reads

  mutating func recordReadRequest(_ context: [UInt8]) { reads[context] = maxKnownCommit }

  /// A read state must not be older than any commit known when the read was issued.
  func checkReadState(_ id: NodeID, _ state: ReadState) throws(SimViolation) {
    guard let floor = reads[state.requestContext] else {
      throw SimViolation(invariant: "read index", detail: "n\(id) returned a read state for an unknown request")
    }
    if state.index < floor {
      throw SimViolation(
        invariant: "read index",
        detail: "n\(id) returned read index \(state.index) for a read issued when \(floor) was already committed")
    }
  }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }
