// An in-process cluster of RawNodes over MemoryStorage, driven with the application loop of the Raft API:
// persist snapshot/entries/hard state, send, apply (calling applyConfChange), advance.
import Raft

/// A deterministic in-memory network of RawNodes. Messages are delivered in FIFO order by `stabilize()`.
final class TestCluster {
  var nodes: [NodeID: RawNode] = [:]
  var storages: [NodeID: MemoryStorage] = [:]
  /// Applied normal entries with data, per node, in order.
  var applied: [NodeID: [Entry]] = [:]
  /// Read states returned by each node.
  var readStates: [NodeID: [ReadState]] = [:]
  /// Directed links that drop every message.
  var cut: Set<[NodeID]> = []
  /// Messages sent but not yet delivered.
  var inFlight: [Message] = []
  /// Lines describing deliveries (for scenarios).
  var trace: [String] = []
  var traceMessages = false
  let initialConf: ConfState
  let configure: (inout RaftConfig) -> Void

  init(voters: [NodeID], learners: [NodeID] = [], configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
    initialConf = ConfState(voters: Set(voters), learners: Set(learners))
    self.configure = configure
    for id in voters + learners { addNode(id) }
  }

  /// Starts a node with the cluster's initial configuration and an empty log (a new member joining).
  func addNode(_ id: NodeID) {
    let storage = MemoryStorage(snapshot: Snapshot(metadata: SnapshotMetadata(index: 0, term: 0,
                                                                             confState: initialConf)))
    storages[id] = storage
    var config = RaftConfig(id: id, storage: storage, randomSeed: id &* 7919)
    configure(&config)
    nodes[id] = try! RawNode(config: config)
    applied[id] = []
  }

  /// Restarts a node from its storage only (volatile state lost).
  func restart(_ id: NodeID) {
    let storage = storages[id]!
    var config = RaftConfig(id: id, storage: storage, randomSeed: id &* 104729)
    configure(&config)
    nodes[id] = try! RawNode(config: config)
    applied[id] = []
    inFlight.removeAll { $0.to == id || $0.from == id }
  }

  var ids: [NodeID] { nodes.keys.sorted() }

  func node(_ id: NodeID) -> RawNode { nodes[id]! }

  func with<T>(_ id: NodeID, _ body: (inout RawNode) throws -> T) rethrows -> T {
    try body(&nodes[id]!)
  }

  /// Runs one Ready cycle of node `id` (the application loop); queues its messages.
  @discardableResult
  func process(_ id: NodeID) -> Bool {
    guard nodes[id]!.hasReady else { return false }
    let rd = nodes[id]!.ready()
    let storage = storages[id]!
    if let snapshot = rd.snapshot {
      try! storage.applySnapshot(snapshot)
      applied[id] = []
    }
    try! storage.append(rd.entries)
    if let hs = rd.hardState { storage.setHardState(hs) }
    for m in rd.messages {
      if cut.contains([m.from, m.to]) || nodes[m.to] == nil {
        if traceMessages { trace.append("\(describe(m)) DROPPED") }
        continue
      }
      inFlight.append(m)
    }
    for e in rd.committedEntries {
      switch e.kind {
      case .normal:
        if !e.data.isEmpty { applied[id]!.append(e) }
      case .confChange:
        if let cc = ConfChange(decoding: e.data) { _ = nodes[id]!.applyConfChange(cc) }
      }
    }
    readStates[id, default: []].append(contentsOf: rd.readStates)
    if traceMessages {
      for rs in rd.readStates {
        trace.append("\(id) read-state index=\(rs.index) ctx=\(String(decoding: rs.requestContext, as: UTF8.self))")
      }
    }
    nodes[id]!.advance(rd)
    return true
  }

  /// Delivers everything until no node has work and no message is in flight.
  func stabilize(maxRounds: Int = 10_000) {
    for _ in 0..<maxRounds {
      var busy = false
      for id in ids { if process(id) { busy = true } }
      if inFlight.isEmpty && !busy { return }
      let batch = inFlight
      inFlight = []
      for m in batch { deliver(m) }
    }
    fatalError("cluster did not stabilize")
  }

  func deliver(_ m: Message) {
    guard nodes[m.to] != nil else { return }
    if cut.contains([m.from, m.to]) { return }
    if traceMessages { trace.append(describe(m)) }
    _ = try? nodes[m.to]!.step(m)
  }

  /// Cuts every link between the two groups (both directions).
  func partition(_ a: [NodeID], _ b: [NodeID]) {
    for x in a { for y in b { cut.insert([x, y]); cut.insert([y, x]) } }
  }

  func isolate(_ id: NodeID) { partition([id], ids.filter { $0 != id }) }

  func heal() { cut = [] }

  /// Campaigns on `id` and stabilizes.
  func elect(_ id: NodeID) {
    try! nodes[id]!.campaign()
    stabilize()
  }

  func propose(_ id: NodeID, _ text: String) throws(RaftError) {
    try nodes[id]!.propose(Array(text.utf8))
  }

  func tick(_ id: NodeID, times: Int = 1) {
    for _ in 0..<times { nodes[id]!.tick() }
  }

  func tickAll(times: Int = 1) {
    for _ in 0..<times { for id in ids { nodes[id]!.tick() } }
  }

  /// The applied data strings of a node.
  func appliedData(_ id: NodeID) -> [String] {
    applied[id]!.map { String(decoding: $0.data, as: UTF8.self) }
  }

  /// The leader as seen by a node's status.
  var leader: NodeID? {
    ids.first { nodes[$0]!.status.role == .leader }
  }

  /// Compacts node `id`'s storage up to its applied index (creating a snapshot there).
  func compact(_ id: NodeID, upTo index: LogIndex) throws {
    let st = nodes[id]!.status
    _ = try storages[id]!.createSnapshot(at: index, confState: st.confState, data: Array("snap@\(index)".utf8))
    try storages[id]!.compact(upTo: index)
  }

  func describe(_ m: Message) -> String {
    var s = "\(m.from)->\(m.to) \(m.type) term=\(m.term)"
    switch m.type {
    case .append:
      s += " logTerm=\(m.logTerm) index=\(m.index) commit=\(m.commit) entries=\(m.entries.map { "\($0.term)/\($0.index)" })"
    case .appendResponse:
      s += " index=\(m.index)"
      if m.reject { s += " reject hint=\(m.rejectHint) hintTerm=\(m.logTerm)" }
    case .vote, .preVote:
      s += " logTerm=\(m.logTerm) index=\(m.index)"
    case .voteResponse, .preVoteResponse:
      s += m.reject ? " rejected" : " granted"
    case .heartbeat:
      s += " commit=\(m.commit)"
    case .snapshot:
      s += " snapshot=\(m.snapshot?.metadata.index ?? 0)/\(m.snapshot?.metadata.term ?? 0)"
    case .propose:
      s += " entries=\(m.entries.count)"
    default:
      break
    }
    return s
  }
}
