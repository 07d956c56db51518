// Follower and candidate behaviour: accepting appends, heartbeats and snapshots; counting votes; forwarding.

extension RaftCore {
  mutating func stepCandidate(_ m: Message) throws(RaftError) {
    let myResponseType: MessageType = role == .preCandidate ? .preVoteResponse : .voteResponse
    switch m.type {
    case .propose:
      throw .proposalDropped
    case .append:
      // §5.2: a candidate that hears from a leader of its term (or newer) returns to follower.
      becomeFollower(term: m.term, lead: m.from)
      handleAppendEntries(m)
    case .heartbeat:
      becomeFollower(term: m.term, lead: m.from)
      handleHeartbeat(m)
    case .snapshot:
      becomeFollower(term: m.term, lead: m.from)
      handleSnapshot(m)
    case myResponseType:
      switch poll(m.from, type: m.type, granted: !m.reject) {
      case .won:
        if role == .preCandidate {
          campaign(.election)
        } else {
          becomeLeader()
          broadcastAppend()
        }
      case .lost:
        // A PreVote loss, or an election loss: wait for the next timeout as a follower.
        becomeFollower(term: term, lead: noNode)
      case .pending:
        break
      }
    default:
      break
    }
  }

  mutating func stepFollower(_ m: Message) throws(RaftError) {
    switch m.type {
    case .propose:
      if lead == noNode || disableProposalForwarding { throw .proposalDropped }
      var forwarded = m
      forwarded.to = lead
      send(forwarded)
    case .append:
      electionElapsed = 0
      lead = m.from
      handleAppendEntries(m)
    case .heartbeat:
      electionElapsed = 0
      lead = m.from
      handleHeartbeat(m)
    case .snapshot:
      electionElapsed = 0
      lead = m.from
      handleSnapshot(m)
    case .transferLeader:
      guard lead != noNode else { return }
      var forwarded = m
      forwarded.to = lead
      send(forwarded)
    case .timeoutNow:
      // The leader asks us to take over: campaign at once, skipping PreVote.
      hup(.transfer)
    case .readIndex:
      guard lead != noNode else { return }
      var forwarded = m
      forwarded.to = lead
      send(forwarded)
    case .readIndexResponse:
      guard m.entries.count == 1 else { return }
      readStates.append(ReadState(index: m.index, requestContext: m.entries[0].data))
    default:
      break
    }
  }

  /// §5.3: accept entries only if our log matches at (index, logTerm); otherwise reject with a hint.
  mutating func handleAppendEntries(_ m: Message) {
    if m.index < log.committed {
      send(Message(type: .appendResponse, to: m.from, index: log.committed))
      return
    }
    if let lastNew = log.maybeAppend(index: m.index, logTerm: m.logTerm, commit: m.commit, entries: m.entries) {
      send(Message(type: .appendResponse, to: m.from, index: lastNew))
      return
    }
    // Fast backtracking: point the leader at the last index whose term is <= the leader's prevLogTerm, so it can
    // skip a whole term of mismatching entries per round trip.
    let (hintIndex, hintTerm) = log.findConflictByTerm(index: min(m.index, log.lastIndex), term: m.logTerm)
    send(Message(type: .appendResponse, to: m.from, logTerm: hintTerm, index: m.index, reject: true,
                 rejectHint: hintIndex))
  }

  mutating func handleHeartbeat(_ m: Message) {
    log.commitTo(m.commit)
    send(Message(type: .heartbeatResponse, to: m.from, context: m.context))
  }

  mutating func handleSnapshot(_ m: Message) {
    guard let snapshot = m.snapshot else { return }
    if restore(snapshot) {
      send(Message(type: .appendResponse, to: m.from, index: log.lastIndex))
    } else {
      send(Message(type: .appendResponse, to: m.from, index: log.committed))
    }
  }

  /// §7: installs a snapshot newer than our commit index; returns false if it was ignored.
  mutating func restore(_ snapshot: Snapshot) -> Bool {
    let meta = snapshot.metadata
    if meta.index <= log.committed { return false }
    if role != .follower {
      // Only a follower receives snapshots; defensively step down into a new term.
      becomeFollower(term: term + 1, lead: noNode)
      return false
    }
    let cs = meta.confState
    if !cs.voters.contains(id) && !cs.learners.contains(id) { return false }
    if log.matchTerm(meta.index, meta.term) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      log.commitTo(meta.index)
      return false
    }
    log.restore(snapshot)
    tracker.progress = [:]
    applyConfState(cs)
    return true
  }
}
