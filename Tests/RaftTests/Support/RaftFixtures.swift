// Helpers that build a bare Raft state machine (internal type, via @testable) for paper tests.
@testable import Raft

/// A storage holding the given configuration (as an index-0 snapshot), entries and hard state.
func makeStorage(voters: [NodeID], learners: [NodeID] = [], entries: [Entry] = [],
                 hardState: HardState = HardState()) -> MemoryStorage {
  let storage = MemoryStorage(snapshot: Snapshot(metadata: SnapshotMetadata(
    index: 0, term: 0, confState: ConfState(voters: Set(voters), learners: Set(learners)))))
  try! storage.append(entries)
  storage.setHardState(hardState)
  return storage
}

/// Entries with the given terms at indexes 1, 2, ...
func entries(terms: [Term], from start: LogIndex = 1) -> [Entry] {
  terms.enumerated().map { Entry(term: $0.element, index: start + LogIndex($0.offset)) }
}

/// A Raft state machine over `storage` (default: empty log) for `voters`.
func makeRaft(
  _ id: NodeID, voters: [NodeID] = [1, 2, 3], learners: [NodeID] = [], storage: MemoryStorage? = nil,
  electionTick: Int = 10, heartbeatTick: Int = 1, seed: UInt64? = nil,
  configure: (inout RaftConfig) -> Void = { _ in }
) -> RaftCore {
  var config = RaftConfig(id: id, storage: storage ?? makeStorage(voters: voters, learners: learners),
                          randomSeed: seed ?? id)
  config.electionTick = electionTick
  config.heartbeatTick = heartbeatTick
  configure(&config)
  return try! RaftCore(config: config)
}

extension RaftCore {
  /// Takes the queued outgoing messages.
  mutating func takeMessages() -> [Message] {
    defer { messages = [] }
    return messages
  }

  /// Steps a message, ignoring dropped-proposal errors.
  mutating func deliver(_ m: Message) { _ = try? step(m) }

  /// Makes this node leader of a fresh term (as if it won an election) and clears its outbox.
  mutating func forceLeader() {
    becomeCandidate()
    becomeLeader()
    messages = []
  }

  /// Ticks until the randomized election timeout fires.
  mutating func tickUntilElection() {
    for _ in 0..<(2 * electionTimeout) where role == .follower || role == .preCandidate {
      tick()
    }
  }
}
