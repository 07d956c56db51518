// Basic value types shared by the whole Raft module: identifiers, log entries, persistent and volatile state.

/// A member's identifier. `0` means "none" (no leader, no vote).
public typealias NodeID = UInt64
/// A Raft term number.
public typealias Term = UInt64
/// A position in the replicated log (1-based; 0 is the position before the first entry).
public typealias LogIndex = UInt64

/// The identifier meaning "no node".
public let noNode: NodeID = 0

/// What a log entry carries.
public enum EntryKind: Sendable, Hashable {
  /// Application data (possibly empty, e.g. the leader's first entry of a term).
  case normal
  /// An encoded ``ConfChange`` (see ``ConfChange/encoded()``).
  case confChange
}

/// One entry of the replicated log.
public struct Entry: Sendable, Hashable {
  /// The term in which the entry was created by a leader.
  public var term: Term
  /// The entry's position in the log.
  public var index: LogIndex
  /// Whether the entry carries application data or a membership change.
  public var kind: EntryKind
  /// The payload.
  public var data: [UInt8]

  /// Creates an entry.
  public init(term: Term, index: LogIndex, kind: EntryKind = .normal, data: [UInt8] = []) {
    self.term = term
    self.index = index
    self.kind = kind
    self.data = data
  }

  /// The size counted against byte limits (`maxSizePerMsg`, `maxCommittedSizePerReady`, storage reads):
  /// the payload plus a fixed 24-byte header estimate (term, index, kind).
  public var byteSize: UInt64 { UInt64(data.count) + 24 }

  /// The size counted against `maxUncommittedEntriesSize`: the payload only, so empty entries are free.
  public var payloadSize: UInt64 { UInt64(data.count) }
}

/// The state every node must persist before sending messages that depend on it.
public struct HardState: Sendable, Hashable {
  /// The latest term this node has seen.
  public var term: Term
  /// The candidate this node voted for in `term` (`0` if none).
  public var vote: NodeID
  /// The highest log index known to be committed.
  public var commit: LogIndex

  /// Creates a hard state.
  public init(term: Term = 0, vote: NodeID = 0, commit: LogIndex = 0) {
    self.term = term
    self.vote = vote
    self.commit = commit
  }

  /// True for the all-zero state of a node that never persisted anything.
  public var isEmpty: Bool { term == 0 && vote == 0 && commit == 0 }
}

/// The role a node plays in the current term.
public enum Role: Sendable, Hashable {
  /// Follows a leader (or waits for one).
  case follower
  /// Runs a PreVote round (no term change yet), see §9.6 of the Raft thesis.
  case preCandidate
  /// Runs an election in a new term.
  case candidate
  /// Leads the cluster in the current term.
  case leader
}

/// Volatile state useful for logging and for the application; never persisted.
public struct SoftState: Sendable, Hashable {
  /// The known leader (`0` if none).
  public var leader: NodeID
  /// This node's role.
  public var role: Role

  /// Creates a soft state.
  public init(leader: NodeID, role: Role) {
    self.leader = leader
    self.role = role
  }
}

/// The membership configuration: voters decide elections and commitment, learners only receive the log.
public struct ConfState: Sendable, Hashable {
  /// Members whose votes and acknowledgements count for quorum.
  public var voters: Set<NodeID>
  /// Members that receive the log but never vote and never count for quorum.
  public var learners: Set<NodeID>

  /// Creates a configuration.
  public init(voters: Set<NodeID> = [], learners: Set<NodeID> = []) {
    self.voters = voters
    self.learners = learners
  }
}

/// Describes what a snapshot covers.
public struct SnapshotMetadata: Sendable, Hashable {
  /// The last log index included in the snapshot.
  public var index: LogIndex
  /// The term of the entry at `index`.
  public var term: Term
  /// The membership configuration as of `index`.
  public var confState: ConfState

  /// Creates snapshot metadata.
  public init(index: LogIndex = 0, term: Term = 0, confState: ConfState = ConfState()) {
    self.index = index
    self.term = term
    self.confState = confState
  }
}

/// A compacted prefix of the log: the application state up to `metadata.index`.
public struct Snapshot: Sendable, Hashable {
  /// What the snapshot covers.
  public var metadata: SnapshotMetadata
  /// The application's serialized state machine.
  public var data: [UInt8]

  /// Creates a snapshot.
  public init(metadata: SnapshotMetadata = SnapshotMetadata(), data: [UInt8] = []) {
    self.metadata = metadata
    self.data = data
  }

  /// True when the snapshot covers nothing (index 0).
  public var isEmpty: Bool { metadata.index == 0 }
}

/// A linearizable read point returned by ReadIndex: once the application has applied `index`, it may serve the read
/// identified by `requestContext`.
public struct ReadState: Sendable, Hashable {
  /// The commit index at the time the read was confirmed.
  public var index: LogIndex
  /// The context passed to ``RawNode/readIndex(context:)``.
  public var requestContext: [UInt8]

  /// Creates a read state.
  public init(index: LogIndex, requestContext: [UInt8]) {
    self.index = index
    self.requestContext = requestContext
  }
}

/// How ReadIndex requests are confirmed.
public enum ReadOnlyOption: Sendable {
  /// The leader confirms its leadership with a heartbeat round to a quorum (safe under clock drift).
  case safe
  /// The leader relies on its lease (requires `checkQuorum`); unsafe if clocks drift unboundedly.
  case leaseBased
}
