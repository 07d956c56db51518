// A Raft cluster in one process for benchmarking: RawNodes over MemoryStorage, messages passed in memory.
import ArgumentParser
import Raft

/// N RawNodes with MemoryStorage and an in-process message queue, driven by the application loop of the Raft
/// API (persist, send, apply, advance).
struct InMemoryRaftCluster {
  private var nodes: [RawNode]
  private let storages: [MemoryStorage]
  private var applied: [LogIndex]
  private var appliedCount: [Int]
  private var confStates: [ConfState]
  private var queue: [Message] = []
  private let compactEvery: UInt64
  private var lastCompaction: [LogIndex]
  /// Non-empty normal entries committed on node 1 (the leader) and applied on every node.
  private(set) var committedOnLeader = 0
  var appliedOnAll: Int { appliedCount.min() ?? 0 }

  init(nodes count: Int, compactEvery: UInt64) throws {
    let ids = (1...count).map { NodeID($0) }
    let conf = ConfState(voters: Set(ids))
    let bootstrap = Snapshot(metadata: SnapshotMetadata(index: 1, term: 1, confState: conf))
    storages = ids.map { _ in MemoryStorage(snapshot: bootstrap) }
    nodes = []
    for (i, id) in ids.enumerated() {
      storages[i].setHardState(HardState(term: 1, vote: 0, commit: 1))
      var config = RaftConfig(id: id, storage: storages[i], randomSeed: 0x5EED + id)
      config.applied = 1
      config.maxInflightMsgs = 4_096
      nodes.append(try RawNode(config: config))
    }
    applied = Array(repeating: 1, count: count)
    lastCompaction = Array(repeating: 1, count: count)
    appliedCount = Array(repeating: 0, count: count)
    confStates = Array(repeating: conf, count: count)
    self.compactEvery = compactEvery
  }

  /// Makes node 1 campaign and runs network rounds until it leads.
  mutating func electLeader() throws {
    try nodes[0].campaign()
    for _ in 0..<100 {
      try networkRound()
      if nodes[0].status.role == .leader && queue.isEmpty { return }
    }
    throw ValidationError("node 1 did not become leader of the in-memory cluster")
  }

  mutating func proposeOnLeader(_ data: [UInt8]) throws {
    try nodes[0].propose(data)
  }

  /// Handles every node's Ready, then delivers the messages queued so far (their answers wait for the next round).
  mutating func networkRound() throws {
    for i in nodes.indices { try handleReady(i) }
    let inFlight = queue
    queue.removeAll(keepingCapacity: true)
    for message in inFlight {
      do { try nodes[Int(message.to) - 1].step(message) } catch RaftError.stepPeerNotFound {}
    }
    for i in nodes.indices { try handleReady(i) }
  }

  private mutating func handleReady(_ i: Int) throws {
    while nodes[i].hasReady {
      let rd = nodes[i].ready()
      let storage = storages[i]
      if let snapshot = rd.snapshot, !snapshot.isEmpty { try storage.applySnapshot(snapshot) }
      try storage.append(rd.entries)
      if let hs = rd.hardState { storage.setHardState(hs) }
      queue.append(contentsOf: rd.messages)
      if let snapshot = rd.snapshot, !snapshot.isEmpty { applied[i] = snapshot.metadata.index }
      for entry in rd.committedEntries {
        applied[i] = entry.index
        switch entry.kind {
        case .normal where !entry.data.isEmpty:
          appliedCount[i] += 1
          if i == 0 { committedOnLeader += 1 }
        case .confChange:
          if let change = ConfChange(decoding: entry.data) { confStates[i] = nodes[i].applyConfChange(change) }
        default: break
        }
      }
      nodes[i].advance(rd)
      if compactEvery > 0, applied[i] - lastCompaction[i] >= compactEvery {
        _ = try storage.createSnapshot(at: applied[i], confState: confStates[i], data: [])
        try storage.compact(upTo: applied[i])
        lastCompaction[i] = applied[i]
      }
    }
  }
}
