// Messages exchanged between Raft nodes (and local pseudo-messages stepped into a node).

/// The type of a ``Message``.
public enum MessageType: Sendable, Hashable {
  /// Local: start an election (or PreVote round).
  case hup
  /// Local: the leader should broadcast heartbeats.
  case beat
  /// A client proposal (local, or forwarded from a follower to the leader).
  case propose
  /// Leader to follower: entries to append after (`index`, `logTerm`), plus the leader's commit.
  case append
  /// Follower to leader: result of an append or snapshot; on reject carries `rejectHint`/`logTerm`.
  case appendResponse
  /// Candidate to voter: request a vote.
  case vote
  /// Voter to candidate.
  case voteResponse
  /// PreCandidate to voter: would you vote for me in term `term`?
  case preVote
  /// Voter to preCandidate.
  case preVoteResponse
  /// Leader to follower: install this snapshot.
  case snapshot
  /// Leader to follower: keep-alive with `commit = min(match, commit)` and an optional read context.
  case heartbeat
  /// Follower to leader.
  case heartbeatResponse
  /// Local: the transport could not reach `from`.
  case unreachable
  /// Local: the snapshot sent to `from` was delivered (`reject == false`) or failed.
  case snapshotStatus
  /// Local: the leader checks that a quorum was recently active.
  case checkQuorum
  /// Ask the leader to hand leadership to `from`.
  case transferLeader
  /// Leader to transferee: campaign now, ignoring the election timeout and leases.
  case timeoutNow
  /// A ReadIndex request; the context is `entries[0].data`.
  case readIndex
  /// Leader to follower: the read index for the request whose context is `entries[0].data`.
  case readIndexResponse
}

/// A Raft message. Fields unused by a type are zero/empty.
public struct Message: Sendable, Hashable {
  /// What the message is.
  public var type: MessageType
  /// The recipient.
  public var to: NodeID
  /// The sender (for transferLeader: the transferee).
  public var from: NodeID
  /// The sender's term (0 for local messages and forwarded proposals/read requests).
  public var term: Term
  /// For append: term of the entry at `index`; for vote: candidate's last term; for a rejected
  /// appendResponse: the term of the follower's entry at `rejectHint`.
  public var logTerm: Term
  /// For append: index preceding `entries`; for vote: candidate's last index; for appendResponse: the
  /// follower's last matching index (or the rejected index); for readIndexResponse: the read index.
  public var index: LogIndex
  /// Entries to append (append), to propose (propose), or the read context holder (readIndex*).
  public var entries: [Entry]
  /// The leader's commit index (append: its commit; heartbeat: min(match, commit)).
  public var commit: LogIndex
  /// The snapshot to install (snapshot messages).
  public var snapshot: Snapshot?
  /// A negative answer (vote/preVote/append responses; snapshotStatus: the snapshot failed).
  public var reject: Bool
  /// On a rejected append: the follower's suggested probe index (fast backtracking).
  public var rejectHint: LogIndex
  /// Heartbeat read context, or the campaign-transfer marker on vote requests.
  public var context: [UInt8]

  /// Creates a message.
  public init(
    type: MessageType, to: NodeID = 0, from: NodeID = 0, term: Term = 0, logTerm: Term = 0, index: LogIndex = 0,
    entries: [Entry] = [], commit: LogIndex = 0, snapshot: Snapshot? = nil, reject: Bool = false,
    rejectHint: LogIndex = 0, context: [UInt8] = []
  ) {
    self.type = type
    self.to = to
    self.from = from
    self.term = term
    self.logTerm = logTerm
    self.index = index
    self.entries = entries
    self.commit = commit
    self.snapshot = snapshot
    self.reject = reject
    self.rejectHint = rejectHint
    self.context = context
  }

  /// Local messages (hup, beat, unreachable, snapshotStatus, checkQuorum) never go on the wire.
  public var isLocal: Bool {
    switch type {
    case .hup, .beat, .unreachable, .snapshotStatus, .checkQuorum: return true
    default: return false
    }
  }

  /// Responses (appendResponse, voteResponse, preVoteResponse, heartbeatResponse, readIndexResponse).
  public var isResponse: Bool {
    switch type {
    case .appendResponse, .voteResponse, .preVoteResponse, .heartbeatResponse, .readIndexResponse: return true
    default: return false
    }
  }
}

/// The context marking a vote request sent because of a leadership transfer (it bypasses leases).
let campaignTransferContext: [UInt8] = Array("CampaignTransfer".utf8)
