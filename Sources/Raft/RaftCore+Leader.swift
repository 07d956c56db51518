// Leader behaviour: proposals, replication with flow control, commitment, heartbeats, reads, transfers.

extension RaftCore {
  /// Appends entries of the current term to the leader's log; false if the uncommitted limit drops them.
  mutating func appendEntries(_ entries: [Entry]) -> Bool {
    var es = entries
    var index = log.lastIndex
    for i in es.indices {
      index += 1
      es[i].term = term
      es[i].index = index
    }
    if !increaseUncommittedSize(es) { return false }
    let last = log.append(es)
    // The leader's own entries count toward the quorum once the application persisted them; the Ready contract
    // persists entries before sending, so counting now is safe.
    _ = tracker.progress[id]?.maybeUpdate(last)
    _ = maybeCommit()
    return true
  }

  /// Advances the commit index to the quorum's match if that entry is from the current term (§5.3, §5.4.2).
  mutating func maybeCommit() -> Bool {
    let wasInCurrentTerm = committedEntryInCurrentTerm
    let changed = log.maybeCommit(maxIndex: tracker.committed(), term: term)
    if changed && !wasInCurrentTerm && committedEntryInCurrentTerm { releasePendingReadIndexMessages() }
    return changed
  }

  var committedEntryInCurrentTerm: Bool { log.zeroTerm(log.committed) == term }

  // MARK: - Replication

  /// Sends an append (or a snapshot) to `to` if its progress allows. Returns whether a message was sent.
  @discardableResult
  mutating func maybeSendAppend(to: NodeID, sendIfEmpty: Bool) -> Bool {
    guard var pr = tracker.progress[to], !pr.isPaused else { return false }
    let prevIndex = pr.next - 1
    let prevTerm: Term
    let entries: [Entry]
    do {
      prevTerm = try log.term(prevIndex)
      entries = try log.entries(from: pr.next, maxSize: maxMsgSize)
    } catch {
      return sendSnapshot(to: to)
    }
    if entries.isEmpty && !sendIfEmpty { return false }
    pr.sentEntries(count: entries.count, lastIndex: entries.last?.index ?? prevIndex)
    tracker.progress[to] = pr
    send(Message(type: .append, to: to, logTerm: prevTerm, index: prevIndex, entries: entries,
                 commit: log.committed))
    return true
  }

  /// §7: the follower needs entries that were compacted; send the snapshot instead.
  mutating func sendSnapshot(to: NodeID) -> Bool {
    guard var pr = tracker.progress[to], pr.recentActive else { return false }
    guard let snapshot = try? log.snapshot(), !snapshot.isEmpty else { return false }
    pr.becomeSnapshot(snapshot.metadata.index)
    tracker.progress[to] = pr
    send(Message(type: .snapshot, to: to, snapshot: snapshot))
    return true
  }

  mutating func sendAppend(to: NodeID) { maybeSendAppend(to: to, sendIfEmpty: true) }

  mutating func broadcastAppend() {
    for peer in tracker.sortedIDs where peer != id { sendAppend(to: peer) }
  }

  /// Heartbeats carry min(match, commit) so a follower never commits beyond what it is known to hold.
  mutating func sendHeartbeat(to: NodeID, context: [UInt8]) {
    let commit = min(tracker.progress[to]?.match ?? 0, log.committed)
    send(Message(type: .heartbeat, to: to, commit: commit, context: context))
  }

  mutating func broadcastHeartbeat(context: [UInt8]) {
    for peer in tracker.sortedIDs where peer != id { sendHeartbeat(to: peer, context: context) }
  }

  // MARK: - Reads

  /// Answers a ReadIndex request at `index`: locally as a ReadState, or with a response to a follower.
  mutating func respondToReadIndex(_ request: Message, index: LogIndex) {
    let ctx = request.entries.first?.data ?? []
    if request.from == noNode || request.from == id {
      readStates.append(ReadState(index: index, requestContext: ctx))
    } else {
      send(Message(type: .readIndexResponse, to: request.from, index: index, entries: request.entries))
    }
  }

  mutating func handleReadIndexAsLeader(_ m: Message) {
    switch readOnly.option {
    case .safe:
      let ctx = m.entries.first?.data ?? []
      readOnly.addRequest(index: log.committed, request: m)
      // The leader's own acknowledgement.
      if let acks = readOnly.recvAck(from: id, context: ctx), tracker.hasQuorum(acks) {
        for status in readOnly.advance(context: ctx) { respondToReadIndex(status.request, index: status.index) }
        return
      }
      broadcastHeartbeat(context: ctx)
    case .leaseBased:
      respondToReadIndex(m, index: log.committed)
    }
  }

  mutating func releasePendingReadIndexMessages() {
    let pending = pendingReadIndexMessages
    pendingReadIndexMessages = []
    for m in pending { handleReadIndexAsLeader(m) }
  }

  // MARK: - Step

  mutating func stepLeader(_ m: Message) throws(RaftError) {
    switch m.type {
    case .beat:
      broadcastHeartbeat(context: readOnly.lastPendingRequestContext)
      return
    case .checkQuorum:
      if !tracker.quorumActive() {
        becomeFollower(term: term, lead: noNode)
      }
      for peer in tracker.sortedIDs where peer != id { tracker.progress[peer]!.recentActive = false }
      return
    case .propose:
      precondition(!m.entries.isEmpty, "stepped empty proposal")
      if tracker.progress[id] == nil { throw .proposalDropped }  // Removed from the configuration.
      if leadTransferee != noNode { throw .proposalDropped }
      var entries = m.entries
      for i in entries.indices where entries[i].kind == .confChange {
        if pendingConfIndex > log.applied {
          // Only one conf change may be pending (single-step changes, §6 / thesis §4.1).
          entries[i] = Entry(term: 0, index: 0)
        } else {
          pendingConfIndex = log.lastIndex + UInt64(i) + 1
        }
      }
      if !appendEntries(entries) { throw .proposalDropped }
      broadcastAppend()
      return
    case .readIndex:
      if tracker.isSingleton && tracker.voters.contains(id) {
        respondToReadIndex(m, index: log.committed)
        return
      }
      // §6.4 of the thesis: the commit index is only known once an entry of this term committed.
      if !committedEntryInCurrentTerm {
        pendingReadIndexMessages.append(m)
        return
      }
      handleReadIndexAsLeader(m)
      return
    default:
      break
    }

    guard var pr = tracker.progress[m.from] else { return }
    switch m.type {
    case .appendResponse:
      pr.recentActive = true
      if m.reject {
        var probe = m.rejectHint
        if m.logTerm > 0 {
          probe = log.findConflictByTerm(index: m.rejectHint, term: m.logTerm).0
        }
        if pr.maybeDecrTo(rejected: m.index, matchHint: probe) {
          if pr.state == .replicate { pr.becomeProbe() }
          tracker.progress[m.from] = pr
          sendAppend(to: m.from)
        } else {
          tracker.progress[m.from] = pr
        }
        return
      }
      let wasPaused = pr.isPaused
      guard pr.maybeUpdate(m.index) || (pr.match == m.index && pr.state == .probe) else {
        tracker.progress[m.from] = pr
        return
      }
      switch pr.state {
      case .probe:
        pr.becomeReplicate()
      case .snapshot where pr.match + 1 >= log.firstIndex:
        // The follower caught up through the snapshot (or otherwise); resume streaming.
        pr.becomeProbe()
        pr.becomeReplicate()
      case .replicate:
        pr.inflights.freeLE(m.index)
      default:
        break
      }
      tracker.progress[m.from] = pr
      if maybeCommit() {
        broadcastAppend()
      } else if wasPaused {
        sendAppend(to: m.from)
      }
      // Flow control may now allow several (size-limited) messages.
      while maybeSendAppend(to: m.from, sendIfEmpty: false) {}
      if m.from == leadTransferee && tracker.progress[m.from]!.match == log.lastIndex {
        send(Message(type: .timeoutNow, to: m.from))
      }
    case .heartbeatResponse:
      pr.recentActive = true
      pr.msgAppFlowPaused = false
      // If every message filling the window was lost, free one slot so replication can recover (the follower
      // rejects the gap and the leader falls back to probing).
      if pr.state == .replicate && pr.inflights.isFull { pr.inflights.freeFirst() }
      tracker.progress[m.from] = pr
      if pr.match < log.lastIndex || pr.state == .probe { sendAppend(to: m.from) }
      guard readOnly.option == .safe, !m.context.isEmpty else { return }
      guard let acks = readOnly.recvAck(from: m.from, context: m.context), tracker.hasQuorum(acks) else { return }
      for status in readOnly.advance(context: m.context) {
        respondToReadIndex(status.request, index: status.index)
      }
    case .snapshotStatus:
      guard pr.state == .snapshot else { return }
      if m.reject { pr.pendingSnapshot = 0 }
      pr.becomeProbe()
      // Wait for the follower's append response (or a heartbeat) before probing again.
      pr.msgAppFlowPaused = true
      tracker.progress[m.from] = pr
    case .unreachable:
      if pr.state == .replicate { pr.becomeProbe() }
      tracker.progress[m.from] = pr
    case .transferLeader:
      if pr.isLearner { return }
      let transferee = m.from
      if leadTransferee != noNode {
        if leadTransferee == transferee { return }
        leadTransferee = noNode
      }
      if transferee == id { return }
      // The transfer must finish within one election timeout (see tickHeartbeat).
      electionElapsed = 0
      leadTransferee = transferee
      if pr.match == log.lastIndex {
        send(Message(type: .timeoutNow, to: transferee))
      } else {
        sendAppend(to: transferee)
      }
    default:
      break
    }
  }
}
