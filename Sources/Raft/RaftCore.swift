// The Raft state machine: state, role transitions, ticks, and the term/vote logic common to all roles.

/// Why a node campaigns.
enum CampaignKind: Sendable {
  /// A PreVote round (no term increment until it wins).
  case preElection
  /// A regular election.
  case election
  /// An election ordered by the leader's MsgTimeoutNow (skips PreVote, bypasses leases).
  case transfer
}

/// The core Raft state machine (one node). Driven by ``RawNode``; produces messages into `messages`.
struct RaftCore: Sendable {
  let id: NodeID
  var term: Term = 0
  var vote: NodeID = noNode
  var readStates: [ReadState] = []
  var log: RaftLog
  let maxMsgSize: UInt64
  let maxUncommittedSize: UInt64
  var tracker: ProgressTracker
  var role: Role = .follower
  var isLearner = false
  /// Outgoing messages, drained by Ready.
  var messages: [Message] = []
  var lead: NodeID = noNode
  var leadTransferee: NodeID = noNode
  /// Index of the latest conf change entry the leader appended; a new one may not be proposed until applied.
  var pendingConfIndex: LogIndex = 0
  var uncommittedSize: UInt64 = 0
  var readOnly: ReadOnly
  /// ReadIndex requests received before the leader committed an entry of its term.
  var pendingReadIndexMessages: [Message] = []
  var electionElapsed = 0
  var heartbeatElapsed = 0
  let checkQuorum: Bool
  let preVote: Bool
  let heartbeatTimeout: Int
  let electionTimeout: Int
  var randomizedElectionTimeout: Int = 0
  let disableProposalForwarding: Bool
  var rng: SplitMix64

  init(config: RaftConfig) throws(RaftError) {
    try config.validate()
    id = config.id
    log = RaftLog(storage: config.storage, maxNextEntriesSize: config.maxCommittedSizePerReady)
    maxMsgSize = config.maxSizePerMsg
    maxUncommittedSize = config.maxUncommittedEntriesSize == 0 ? .max : config.maxUncommittedEntriesSize
    tracker = ProgressTracker(maxInflight: config.maxInflightMsgs)
    readOnly = ReadOnly(option: config.readOnlyOption)
    checkQuorum = config.checkQuorum
    preVote = config.preVote
    heartbeatTimeout = config.heartbeatTick
    electionTimeout = config.electionTick
    disableProposalForwarding = config.disableProposalForwarding
    rng = SplitMix64(seed: config.randomSeed)

    let (hardState, confState) = config.storage.initialState()
    applyConfState(confState)
    if !hardState.isEmpty {
      guard hardState.commit <= log.lastIndex else {
        throw .invalidConfig("stored commit \(hardState.commit) is beyond the last stored index \(log.lastIndex); "
          + "the storage lost entries that were persisted before the hard state")
      }
      term = hardState.term
      vote = hardState.vote
      // A snapshot newer than the stored commit already implies commitment up to its index.
      log.committed = max(log.committed, hardState.commit)
    }
    if config.applied > 0 {
      guard config.applied <= log.committed else {
        throw .invalidConfig("applied \(config.applied) is beyond the stored commit \(log.committed)")
      }
      log.applied = max(log.applied, config.applied)
    }
    becomeFollower(term: term, lead: noNode)
  }

  var softState: SoftState { SoftState(leader: lead, role: role) }
  var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

  /// Whether this node may campaign: it is a voter and is not waiting to persist a snapshot.
  var isPromotable: Bool {
    tracker.voters.contains(id) && !log.hasPendingSnapshot
  }

  // MARK: - Sending

  /// Queues a message from this node, stamping `from` and (for term-carrying types) `term`.
  mutating func send(_ message: Message) {
    var m = message
    if !(m.type == .transferLeader && m.from != noNode) { m.from = id }
    switch m.type {
    case .vote, .voteResponse, .preVote, .preVoteResponse:
      precondition(m.term != 0, "term should be set when sending \(m.type)")
    case .propose, .readIndex:
      // Forwarded proposals and read requests are local to the leader's term logic.
      m.term = 0
    default:
      m.term = term
    }
    messages.append(m)
  }

  // MARK: - Role transitions

  mutating func reset(term newTerm: Term) {
    if term != newTerm {
      term = newTerm
      vote = noNode
    }
    lead = noNode
    electionElapsed = 0
    heartbeatElapsed = 0
    resetRandomizedElectionTimeout()
    leadTransferee = noNode
    tracker.resetVotes()
    let last = log.lastIndex
    for id in tracker.sortedIDs {
      let learner = tracker.progress[id]!.isLearner
      var pr = Progress(next: last + 1, maxInflight: tracker.maxInflight, isLearner: learner)
      if id == self.id { pr.match = last }
      tracker.progress[id] = pr
    }
    pendingConfIndex = 0
    uncommittedSize = 0
    readOnly = ReadOnly(option: readOnly.option)
    pendingReadIndexMessages = []
  }

  mutating func resetRandomizedElectionTimeout() {
    randomizedElectionTimeout = electionTimeout + Int(rng.next() % UInt64(electionTimeout))
  }

  mutating func becomeFollower(term newTerm: Term, lead newLead: NodeID) {
    reset(term: newTerm)
    lead = newLead
    role = .follower
  }

  mutating func becomePreCandidate() {
    precondition(role != .leader, "invalid transition [leader -> pre-candidate]")
    // A PreVote round changes neither term nor vote.
    tracker.resetVotes()
    lead = noNode
    role = .preCandidate
  }

  mutating func becomeCandidate() {
    precondition(role != .leader, "invalid transition [leader -> candidate]")
    reset(term: term + 1)
    vote = id
    role = .candidate
  }

  mutating func becomeLeader() {
    precondition(role != .follower, "invalid transition [follower -> leader]")
    reset(term: term)
    lead = id
    role = .leader
    if var me = tracker.progress[id] {
      me.becomeReplicate()
      me.recentActive = true
      tracker.progress[id] = me
    }
    // Conservatively treat the uncommitted tail as possibly containing a conf change.
    pendingConfIndex = log.lastIndex
    // §5.4.2 / §8: an empty entry of the new term lets the leader commit everything before it.
    let appended = appendEntries([Entry(term: 0, index: 0)])
    precondition(appended, "empty entry was dropped")
  }

  // MARK: - Ticks

  mutating func tick() {
    if role == .leader { tickHeartbeat() } else { tickElection() }
  }

  var pastElectionTimeout: Bool { electionElapsed >= randomizedElectionTimeout }

  mutating func tickElection() {
    electionElapsed += 1
    if isPromotable && pastElectionTimeout {
      electionElapsed = 0
      _ = try? step(Message(type: .hup, from: id))
    }
  }

  mutating func tickHeartbeat() {
    heartbeatElapsed += 1
    electionElapsed += 1
    if electionElapsed >= electionTimeout {
      electionElapsed = 0
      if checkQuorum { _ = try? step(Message(type: .checkQuorum, from: id)) }
      // A transfer that did not finish within an election timeout is abandoned.
      if role == .leader && leadTransferee != noNode { leadTransferee = noNode }
    }
    guard role == .leader else { return }
    if heartbeatElapsed >= heartbeatTimeout {
      heartbeatElapsed = 0
      _ = try? step(Message(type: .beat, from: id))
    }
  }

  // MARK: - Elections

  /// Whether committed-but-unapplied entries contain a conf change (a node must not campaign then).
  var hasUnappliedConfChanges: Bool {
    if log.applied >= log.committed { return false }
    let entries = (try? log.slice(log.applied + 1, log.committed + 1, maxSize: .max)) ?? []
    return entries.contains { $0.kind == .confChange }
  }

  mutating func hup(_ kind: CampaignKind) {
    if role == .leader { return }
    if !isPromotable { return }
    if hasUnappliedConfChanges { return }
    campaign(kind)
  }

  mutating func campaign(_ kind: CampaignKind) {
    guard isPromotable else { return }
    let voteType: MessageType
    let voteTerm: Term
    if kind == .preElection {
      becomePreCandidate()
      voteType = .preVote
      voteTerm = term + 1  // PreVote asks about the next term without moving to it.
    } else {
      becomeCandidate()
      voteType = .vote
      voteTerm = term
    }
    if poll(id, type: voteType == .preVote ? .preVoteResponse : .voteResponse, granted: true) == .won {
      // Single-voter cluster: won immediately.
      if kind == .preElection {
        campaign(.election)
      } else {
        becomeLeader()
        broadcastAppend()  // learners, if any, get the log at once
      }
      return
    }
    for peer in tracker.voters.sorted() where peer != id {
      send(Message(type: voteType, to: peer, term: voteTerm, logTerm: log.lastTerm, index: log.lastIndex,
                   context: kind == .transfer ? campaignTransferContext : []))
    }
  }

  mutating func poll(_ from: NodeID, type: MessageType, granted: Bool) -> VoteResult {
    tracker.recordVote(from, granted: granted)
    return tracker.tallyVotes().result
  }

  // MARK: - Step

  /// Handles one message (local or from a peer).
  mutating func step(_ m: Message) throws(RaftError) {
    if m.term == 0 {
      // Local message (or forwarded proposal/read request).
    } else if m.term > term {
      if m.type == .vote || m.type == .preVote {
        let force = m.context == campaignTransferContext
        let inLease = checkQuorum && lead != noNode && electionElapsed < electionTimeout
        // §6 / §9.6 of the thesis: while a leader is believed alive, ignore disruptive vote requests.
        if !force && inLease { return }
      }
      switch m.type {
      case .preVote:
        break  // Never change term in response to a PreVote.
      case .preVoteResponse where !m.reject:
        break  // The term is bumped when the PreVote round wins.
      case .vote where !log.isUpToDate(lastIndex: m.index, term: m.logTerm):
        // A candidate whose log is behind ours cannot win our vote: take its term but keep our election timer
        // running (the thesis resets it only for a leader's message or a granted vote, §3.4). etcd restarts it
        // here, so a follower that was behind and timed out first pushed back the up-to-date one, which then
        // waited a whole new randomized timeout: failovers under load took up to 3 x the election timeout.
        let (elapsed, randomized) = (electionElapsed, randomizedElectionTimeout)
        becomeFollower(term: m.term, lead: noNode)
        (electionElapsed, randomizedElectionTimeout) = (elapsed, randomized)
      default:
        if m.type == .append || m.type == .heartbeat || m.type == .snapshot {
          becomeFollower(term: m.term, lead: m.from)
        } else {
          becomeFollower(term: m.term, lead: noNode)
        }
      }
    } else if m.term < term {
      if (checkQuorum || preVote) && (m.type == .heartbeat || m.type == .append) {
        // A stale leader (e.g. after a partition) learns the new term and steps down; without this it could stay
        // isolated forever when CheckQuorum/PreVote keep us from bumping its term.
        send(Message(type: .appendResponse, to: m.from))
      } else if m.type == .preVote {
        send(Message(type: .preVoteResponse, to: m.from, term: term, reject: true))
      }
      return
    }

    switch m.type {
    case .hup:
      hup(preVote ? .preElection : .election)
    case .vote, .preVote:
      // §5.2, §5.4.1: grant at most one vote per term, only to an up-to-date candidate.
      let canVote = vote == m.from || (vote == noNode && lead == noNode) || (m.type == .preVote && m.term > term)
      let responseType: MessageType = m.type == .vote ? .voteResponse : .preVoteResponse
      if canVote && log.isUpToDate(lastIndex: m.index, term: m.logTerm) {
        // The response carries the request's term so a PreCandidate can count it.
        send(Message(type: responseType, to: m.from, term: m.term))
        if m.type == .vote {
          electionElapsed = 0
          vote = m.from
        }
      } else {
        send(Message(type: responseType, to: m.from, term: term, reject: true))
      }
    default:
      switch role {
      case .leader: try stepLeader(m)
      case .candidate, .preCandidate: try stepCandidate(m)
      case .follower: try stepFollower(m)
      }
    }
  }

  // MARK: - Uncommitted size

  mutating func increaseUncommittedSize(_ entries: [Entry]) -> Bool {
    let size = entries.reduce(UInt64(0)) { $0 + $1.payloadSize }
    if uncommittedSize > 0 && size > 0 && uncommittedSize + size > maxUncommittedSize { return false }
    uncommittedSize += size
    return true
  }

  mutating func reduceUncommittedSize(_ entries: [Entry]) {
    guard role == .leader else { return }
    let size = entries.reduce(UInt64(0)) { $0 + $1.payloadSize }
    uncommittedSize = size > uncommittedSize ? 0 : uncommittedSize - size
  }
}
