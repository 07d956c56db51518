// Single-step membership changes: applying conf changes and restoring configurations.

extension RaftCore {
  /// Replaces the configuration with `cs` (creating progress for new members).
  mutating func applyConfState(_ cs: ConfState) {
    tracker.voters = cs.voters
    tracker.learners = cs.learners.subtracting(cs.voters)
    let members = tracker.voters.union(tracker.learners)
    for gone in tracker.progress.keys where !members.contains(gone) { tracker.progress[gone] = nil }
    let last = log.lastIndex
    for member in members.sorted() {
      let learner = tracker.learners.contains(member)
      if tracker.progress[member] == nil {
        var pr = Progress(next: last + 1, maxInflight: tracker.maxInflight, isLearner: learner)
        if member == id { pr.match = last }
        tracker.progress[member] = pr
      } else {
        tracker.progress[member]!.isLearner = learner
      }
    }
    isLearner = tracker.learners.contains(id)
  }

  /// Applies a committed conf change (§6, single-server changes) and returns the new configuration.
  mutating func applyConfChange(_ cc: ConfChange) -> ConfState {
    let cs = tracker.confState.applying(cc)
    let isNew = tracker.progress[cc.nodeID] == nil
    applyConfState(cs)
    if isNew, cc.type != .removeNode, cc.nodeID != id {
      // A newly added member counts as active so CheckQuorum does not immediately fail because of it.
      tracker.progress[cc.nodeID]?.recentActive = true
    }
    let memberNow = tracker.voters.contains(id) || tracker.learners.contains(id)
    if role == .leader && (!memberNow || isLearner) {
      // The leader was removed or demoted: step down so the remaining voters elect a new leader.
      becomeFollower(term: term, lead: noNode)
      return tracker.confState
    }
    guard role == .leader, !tracker.voters.isEmpty else { return tracker.confState }
    // A smaller quorum may commit more; new members need the log.
    if maybeCommit() {
      broadcastAppend()
    } else {
      for peer in tracker.sortedIDs where peer != id { maybeSendAppend(to: peer, sendIfEmpty: false) }
    }
    if isNew, cc.type != .removeNode, cc.nodeID != id {
      // Probe the new member at once instead of waiting for the next heartbeat.
      sendAppend(to: cc.nodeID)
    }
    // Only a voter can take over: a transferee that was removed or demoted to learner ends the transfer (else
    // proposals stay blocked until the transfer times out).
    if leadTransferee != noNode && !tracker.voters.contains(leadTransferee) { leadTransferee = noNode }
    return tracker.confState
  }
}
