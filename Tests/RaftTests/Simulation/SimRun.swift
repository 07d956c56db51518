// One seeded simulation run: a cluster of RawNodes on the simulated network, driven through a fault phase (drops,
// duplicates, delays, partitions, crashes, compaction, proposals, reads, transfers, conf changes) and then a quiet
// phase that must elect a leader and commit a final proposal on every member (liveness).
import Raft

/// What a run did, summed over seeds to show the simulation exercises every feature.
struct SimStats {
  var committed = 0
  var leaderTerms = 0
  var crashes = 0
  var crashesInsideReady = 0
  var snapshotsRestored = 0
  var compactions = 0
  var readStates = 0
  var confChangesApplied = 0
  var transfers = 0
  var partitions = 0
  var delivered = 0

  mutating func add(_ o: SimStats) {
    committed += o.committed; leaderTerms += o.leaderTerms; crashes += o.crashes
    crashesInsideReady += o.crashesInsideReady; snapshotsRestored += o.snapshotsRestored
    compactions += o.compactions; readStates += o.readStates; confChangesApplied += o.confChangesApplied
    transfers += o.transfers; partitions += o.partitions; delivered += o.delivered
  }
}

/// A failed run: the seed to replay, the broken invariant, and what happened just before.
struct SimFailure: Error {
  var seed: UInt64
  var nodes: Int
  var time: Int
  var violation: String
  var traceTail: [String]
}

final class SimRun {
  let seed: UInt64
  private var rng: SimRandom
  private(set) var nodes: [SimNode] = []
  private var net: SimNetwork
  private var checker = SimChecker(bootstrapTerm: 1)
  private(set) var trace: SimTrace
  private(set) var now = 0
  private(set) var stats = SimStats()
  private let settings: SimRaftSettings
  /// A node outside the initial configuration, added as a learner and then promoted (some seeds only).
  private let joiner: NodeID?
  private let faults: NetworkFaults
  private var faultsOn = true
  private var proposals = 0
  private var readRequests = 0
  private let finalMarker: [UInt8] = Array("final-proposal".utf8)
  /// Where the final liveness proposal was first applied; a member is done once it applied (or restored) past it.
  private var finalIndex: LogIndex?
  private let tickEvery = 3
  /// Transport reports (unreachable, snapshot failed) made while a node was handling a Ready; given after advance.
  private var pendingReports: [NodeID: [(NodeID, isSnapshot: Bool)]] = [:]

  init(seed: UInt64, nodeCount: Int, traceCapacity: Int = 80) throws {
    self.seed = seed
    trace = SimTrace(capacity: traceCapacity)
    var rng = SimRandom(seed: seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(nodeCount))
    settings = SimRaftSettings(
      preVote: rng.chance(0.5), checkQuorum: rng.chance(0.5),
      maxSizePerMsg: rng.pick([64, 512, 1 << 20]), maxInflightMsgs: rng.pick([1, 4, 256]),
      maxUncommittedEntriesSize: rng.pick([0, 0, 32]))
    faults = NetworkFaults.random(&rng)
    joiner = rng.chance(0.4) ? NodeID(nodeCount) : nil
    self.rng = rng
    net = SimNetwork(faults: faults)
    let ids = (1...nodeCount).map { NodeID($0) }
    let voters = Set(ids.filter { $0 != joiner })
    let bootstrap = Snapshot(
      metadata: SnapshotMetadata(index: 1, term: 1, confState: ConfState(voters: voters)),
      data: SimNode.encodeState(hash: 0, index: 1))
    for id in ids {
      let node = try SimNode(id: id, bootstrap: bootstrap, bootstrapHardState: HardState(term: 1, vote: 0, commit: 1))
      try node.start(settings: settings, randomSeed: self.rng.next())
      nodes.append(node)
    }
    note(
      "seed \(seed): \(nodeCount) nodes, preVote=\(settings.preVote) checkQuorum=\(settings.checkQuorum) "
        + "maxSizePerMsg=\(settings.maxSizePerMsg) inflight=\(settings.maxInflightMsgs) maxUncommitted=\(settings.maxUncommittedEntriesSize) joiner=\(joiner.map { "n\($0)" } ?? "none") "
        + "drop=\(faults.dropRate) dup=\(faults.duplicateRate) delay=1...\(faults.maxDelay)")
  }

  /// Runs the fault phase for `faultTime` time units, then heals everything and requires a final proposal to be
  /// applied on every member within `quietTime`.
  func run(faultTime: Int, quietTime: Int) throws(SimViolation) {
    for node in nodes { try drain(node) }
    while now < faultTime { try step() }
    try quietPhase(quietTime)
    try checker.checkAllLogs(nodes.map { ($0.id, $0.storage) })
    stats.committed = Int(checker.maxApplied)
  }

  // MARK: The loop

  private func step() throws(SimViolation) {
    now += 1
    if faultsOn { try randomActions() }
    for message in net.due(at: now, rng: &rng) { try deliver(message) }
    if now % tickEvery == 0 {
      for node in nodes.shuffled(using: &rng) where node.isAlive {
        node.raft!.tick()
        try drain(node)
      }
    }
    try checkLeaders()
  }

  private func note(_ text: String) { trace.record(now, .note(text)) }

  private func node(_ id: NodeID) -> SimNode? {
    id >= 1 && id <= NodeID(nodes.count) ? nodes[Int(id) - 1] : nil
  }

  /// The alive leader with the highest term, if any.
  private var leader: SimNode? {
    nodes.filter { $0.isAlive && $0.lastRole == .leader }.max { $0.lastTerm < $1.lastTerm }
  }

  private func checkLeaders() throws(SimViolation) {
    for node in nodes where node.isAlive && node.lastRole == .leader {
      try checker.observeLeader(node.id, term: node.lastTerm)
      try checker.checkLeaderCompleteness(node.id, term: node.lastTerm, storage: node.storage)
    }
  }

  // MARK: Ready handling (the application loop of the API brief)

  private func drain(_ node: SimNode) throws(SimViolation) {
    while node.raft?.hasReady == true {
      let rd = node.raft!.ready()
      if faultsOn, rng.chance(0.002) {
        stats.crashesInsideReady += 1
        crash(node, "before persisting its Ready (loses \(rd.entries.count) entries, \(rd.messages.count) messages)")
        return
      }
      // Persist: snapshot, entries, hard state.
      if let snapshot = rd.snapshot, !snapshot.isEmpty {
        do { try node.storage.applySnapshot(snapshot) } catch {
          throw SimViolation(invariant: "ready", detail: "n\(node.id) got snapshot \(snapshot.metadata.index) its storage refused: \(error)")
        }
      }
      if !rd.entries.isEmpty {
        try checker.checkAppend(node.id, rd.entries, storage: node.storage)
        do { try node.storage.append(rd.entries) } catch {
          throw SimViolation(invariant: "ready", detail: "n\(node.id) storage refused entries \(rd.entries.first!.index)...: \(error)")
        }
        try checker.recordAppended(node.id, rd.entries, storage: node.storage)
      }
      if let hs = rd.hardState {
        try checker.recordHardState(node.id, hs, storage: node.storage)
        node.storage.setHardState(hs)
        node.lastTerm = hs.term
      }
      if faultsOn, rng.chance(0.002) {
        stats.crashesInsideReady += 1
        crash(node, "after persisting its Ready, before sending \(rd.messages.count) messages")
        return
      }
      if let soft = rd.softState {
        if soft.role != node.lastRole { trace.record(now, .roleChange(node.id, soft.role, term: node.lastTerm, leader: soft.leader)) }
        node.lastRole = soft.role
        if soft.role == .leader {
          stats.leaderTerms += 1
          try checker.observeLeader(node.id, term: node.lastTerm)
          try checker.checkLeaderCompleteness(node.id, term: node.lastTerm, storage: node.storage)
        }
      }
      // Send.
      for message in rd.messages { try send(message, from: node) }
      for state in rd.readStates {
        stats.readStates += 1
        try checker.checkReadState(node.id, state)
      }
      // Apply.
      if let snapshot = rd.snapshot, !snapshot.isEmpty { try restore(node, snapshot) }
      for entry in rd.committedEntries { try apply(entry, on: node) }
      node.raft!.advance(rd)
      for (peer, isSnapshot) in pendingReports.removeValue(forKey: node.id) ?? [] {
        if isSnapshot { node.raft!.reportSnapshot(peer, failed: true) }
        node.raft!.reportUnreachable(peer)
      }
    }
  }

  private func send(_ message: Message, from node: SimNode) throws(SimViolation) {
    if message.isLocal || message.from != node.id || message.to == node.id || self.node(message.to) == nil {
      throw SimViolation(invariant: "ready", detail: "n\(node.id) emitted an invalid message: \(SimTrace.describe(message))")
    }
    if !net.send(message, now: now, rng: &rng) {
      let partitioned = !net.connected(message.from, message.to)
      trace.record(now, .drop(message, reason: partitioned ? "partition" : "network"))
      if message.type == .snapshot || (partitioned && rng.chance(0.5)) {
        pendingReports[node.id, default: []].append((message.to, message.type == .snapshot))
      }
    }
  }

  private func deliver(_ message: Message) throws(SimViolation) {
    guard let dest = node(message.to) else { return }
    let sender = node(message.from)
    guard net.connected(message.from, message.to), dest.isAlive else {
      trace.record(now, .drop(message, reason: dest.isAlive ? "partition" : "down"))
      if message.type == .snapshot, let sender, sender.isAlive {
        sender.raft!.reportSnapshot(dest.id, failed: true)
        try drain(sender)
      }
      return
    }
    trace.record(now, .deliver(message))
    stats.delivered += 1
    do {
      try dest.raft!.step(message)
    } catch {
      switch error {
      case .stepPeerNotFound, .proposalDropped: break
      default: throw SimViolation(invariant: "step", detail: "n\(dest.id) failed to step \(SimTrace.describe(message)): \(error)")
      }
    }
    try drain(dest)
    if message.type == .snapshot, let sender, sender.isAlive {
      sender.raft!.reportSnapshot(dest.id, failed: false)
      try drain(sender)
    }
  }

  private func restore(_ node: SimNode, _ snapshot: Snapshot) throws(SimViolation) {
    let (hash, index) = SimNode.decodeState(snapshot.data)
    if index != snapshot.metadata.index {
      throw SimViolation(invariant: "snapshot", detail: "n\(node.id) got snapshot \(snapshot.metadata.index) carrying state of \(index)")
    }
    if index <= node.appliedIndex {
      throw SimViolation(invariant: "snapshot", detail: "n\(node.id) was asked to restore snapshot \(index) after applying \(node.appliedIndex)")
    }
    try checker.checkSnapshotRestore(node.id, snapshot.metadata, stateHash: hash)
    node.stateHash = hash
    node.appliedIndex = index
    node.confState = snapshot.metadata.confState
    stats.snapshotsRestored += 1
    note("n\(node.id) restored snapshot \(index)@\(snapshot.metadata.term)")
  }

  private func apply(_ entry: Entry, on node: SimNode) throws(SimViolation) {
    if entry.index != node.appliedIndex + 1 {
      throw SimViolation(
        invariant: "applied sequence", detail: "n\(node.id) was given entry \(entry.index) to apply after applying \(node.appliedIndex)")
    }
    node.stateHash = SimNode.fold(node.stateHash, entry)
    node.appliedIndex = entry.index
    try checker.recordApply(node.id, entry, stateHash: node.stateHash, nodeTerm: node.lastTerm)
    if entry.kind == .confChange {
      guard let change = ConfChange(decoding: entry.data) else {
        throw SimViolation(invariant: "conf change", detail: "n\(node.id) committed an undecodable conf change at \(entry.index)")
      }
      node.confState = node.raft!.applyConfChange(change)
      stats.confChangesApplied += 1
      note("n\(node.id) applied \(change.type) n\(change.nodeID) at \(entry.index): voters=\(node.confState.voters.sorted()) learners=\(node.confState.learners.sorted())")
    } else if entry.data == finalMarker, finalIndex == nil {
      finalIndex = entry.index
    }
  }

  // MARK: Faults and client actions

  private func crash(_ node: SimNode, _ why: String) {
    node.crash()
    pendingReports[node.id] = nil
    stats.crashes += 1
    note("n\(node.id) crashed \(why)")
  }

  private func restart(_ node: SimNode) throws(SimViolation) {
    do { try node.start(settings: settings, randomSeed: rng.next()) } catch let error as SimViolation { throw error } catch {
      throw SimViolation(invariant: "restart", detail: "n\(node.id) could not restart from its storage: \(error)")
    }
    let persisted = node.storage.initialState().0
    node.lastTerm = persisted.term
    let status = node.raft!.status
    if status.commit < persisted.commit || status.term != persisted.term {
      throw SimViolation(
        invariant: "committed entry lost",
        detail: "n\(node.id) restarted with commit \(status.commit) term \(status.term) over persisted commit \(persisted.commit) term \(persisted.term)")
    }
    note("n\(node.id) restarted (incarnation \(node.incarnation)) at applied \(node.appliedIndex), last index \(node.storage.lastIndex())")
    try drain(node)
  }

  private func randomActions() throws(SimViolation) {
    var alive: [SimNode] { nodes.filter(\.isAlive) }
    if !alive.isEmpty, rng.chance(0.15) {
      let target = leader.flatMap { rng.chance(0.7) ? $0 : nil } ?? rng.pick(alive)
      proposals += 1
      do { try target.raft!.propose(Array("p\(proposals)".utf8)) } catch {
        if error != .proposalDropped { throw SimViolation(invariant: "propose", detail: "n\(target.id): \(error)") }
      }
      try drain(target)
    }
    if !alive.isEmpty, rng.chance(0.03) {
      let target = rng.pick(alive)
      readRequests += 1
      let context = Array("r\(readRequests)".utf8)
      checker.recordReadRequest(context)
      target.raft!.readIndex(context: context)
      try drain(target)
    }
    if let leader, rng.chance(0.004) {
      let candidates = leader.confState.voters.filter { $0 != leader.id }.sorted()
      if !candidates.isEmpty {
        let target = rng.pick(candidates)
        stats.transfers += 1
        note("n\(leader.id) asked to transfer leadership to n\(target)")
        leader.raft!.transferLeader(to: target)
        try drain(leader)
      }
    }
    if let joiner, let leader, rng.chance(0.01) {
      let conf = leader.confState
      let change: ConfChangeType? =
        conf.voters.contains(joiner) ? nil : conf.learners.contains(joiner) ? .addVoter : .addLearner
      if let change {
        note("n\(leader.id) proposes \(change) n\(joiner)")
        do { try leader.raft!.proposeConfChange(ConfChange(type: change, nodeID: joiner)) } catch {
          if error != .proposalDropped {
            throw SimViolation(invariant: "propose", detail: "n\(leader.id) conf change: \(error)")
          }
        }
        try drain(leader)
      }
    }
    if !alive.isEmpty, rng.chance(0.01) { try compact(rng.pick(alive)) }
    if alive.count > 0, rng.chance(0.004) { crash(rng.pick(alive), "") }
    // Leaders are where most bugs hide (uncommitted tails, old-term entries): crash them more often.
    if let leader, rng.chance(0.004) { crash(leader, "while leading") }
    for node in nodes where !node.isAlive && rng.chance(0.03) { try restart(node) }
    if rng.chance(0.006) {
      var groups: [NodeID: Int] = [:]
      if let leader, rng.chance(0.3) {
        groups[leader.id] = 1
      } else if rng.chance(0.5) {
        groups[rng.pick(nodes).id] = 1
      } else {
        for node in nodes { groups[node.id] = rng.below(2) }
      }
      net.partition(groups)
      stats.partitions += 1
      note("partition \(groups.sorted { $0.key < $1.key }.map { "n\($0.key):\($0.value)" }.joined(separator: " "))")
    } else if net.isPartitioned, rng.chance(0.015) {
      net.heal()
      note("heal")
    }
  }

  /// Takes a snapshot of the node's state machine at its applied index and compacts the log behind it.
  private func compact(_ node: SimNode) throws(SimViolation) {
    let at = node.appliedIndex
    guard at >= node.storage.firstIndex() else { return }
    let keep = LogIndex(rng.int(in: 0...3))
    let data = SimNode.encodeState(hash: node.stateHash, index: at)
    do {
      _ = try node.storage.createSnapshot(at: at, confState: node.confState, data: data)
      let upTo = at - min(keep, at - node.storage.firstIndex())
      try node.storage.compact(upTo: upTo)
      stats.compactions += 1
      note("n\(node.id) snapshotted at \(at) and compacted up to \(upTo)")
    } catch {
      if error != .compacted { throw SimViolation(invariant: "compaction", detail: "n\(node.id) at \(at): \(error)") }
    }
  }

  // MARK: Liveness

  private func quietPhase(_ quietTime: Int) throws(SimViolation) {
    faultsOn = false
    net.heal()
    net.faults = .quiet
    note("quiet phase: network healed, all nodes up")
    for node in nodes where !node.isAlive { try restart(node) }
    let deadline = now + quietTime
    var proposedFor: (NodeID, Term)?
    while now < deadline {
      if let leader {
        let members = leader.confState.voters.union(leader.confState.learners)
        if !members.isEmpty, let finalIndex,
          members.allSatisfy({ node($0).map { $0.isAlive && $0.appliedIndex >= finalIndex } ?? false }) { return }
        if proposedFor == nil || proposedFor! != (leader.id, leader.lastTerm) {
          do {
            try leader.raft!.propose(finalMarker)
            proposedFor = (leader.id, leader.lastTerm)
            note("n\(leader.id) proposes the final entry in term \(leader.lastTerm)")
          } catch {
            if error != .proposalDropped { throw SimViolation(invariant: "propose", detail: "n\(leader.id): \(error)") }
          }
          try drain(leader)
        }
      }
      // Snapshots keep being taken (they are not faults): a learner added after the leader's last snapshot can only
      // catch up from a newer one, since a node ignores snapshots whose configuration does not include it.
      if (deadline - now) % 150 == 0 {
        for node in nodes where node.isAlive { try compact(node) }
      }
      try step()
    }
    let states = nodes.map { n in
      "n\(n.id): \(n.lastRole) term=\(n.lastTerm) applied=\(n.appliedIndex) last=\(n.storage.lastIndex())"
    }
    throw SimViolation(
      invariant: "liveness",
      detail: "\(quietTime) time units after healing, \(leader == nil ? "no leader" : "the final proposal is not applied on every member"): "
        + states.joined(separator: "; ") + "; final entry at \(finalIndex.map(String.init) ?? "none")"
        + (leader.map { l in
          "; leader progress: " + l.raft!.status.progress.sorted { $0.key < $1.key }.map { id, p in
            "n\(id) \(p.state) match=\(p.match) next=\(p.next) inflight=\(p.inflight) paused=\(p.isPaused) pendingSnap=\(p.pendingSnapshot)"
          }.joined(separator: ", ")
        } ?? ""))
  }
}
