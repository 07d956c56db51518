// Configuration of a Raft node and the module's error type.

/// Everything a node needs to start.
public struct RaftConfig: Sendable {
  /// This node's ID (non-zero).
  public var id: NodeID
  /// Ticks a follower waits without hearing from a leader before campaigning; the actual timeout is randomized in
  /// [electionTick, 2 * electionTick). Must exceed `heartbeatTick`.
  public var electionTick: Int = 10
  /// Ticks between leader heartbeats.
  public var heartbeatTick: Int = 1
  /// The durable log (read only by the node).
  public var storage: any RaftStorage
  /// The last applied index when restarting (entries up to it are not returned again).
  public var applied: LogIndex = 0
  /// Maximum byte size of the entries in one append message (at least one entry is always sent).
  public var maxSizePerMsg: UInt64 = 1 << 20
  /// Maximum byte size of committed entries returned in one Ready.
  public var maxCommittedSizePerReady: UInt64 = 1 << 30
  /// Maximum payload size of uncommitted entries on the leader; 0 = no limit. Proposals beyond it are dropped.
  public var maxUncommittedEntriesSize: UInt64 = 0
  /// Maximum number of in-flight append messages per follower in replicate state.
  public var maxInflightMsgs: Int = 256
  /// The leader steps down when a quorum was not active during an election timeout.
  public var checkQuorum: Bool = false
  /// Run a PreVote round before incrementing the term (§9.6 of the thesis).
  public var preVote: Bool = false
  /// How ReadIndex is confirmed. `.leaseBased` requires `checkQuorum`.
  public var readOnlyOption: ReadOnlyOption = .safe
  /// Followers drop proposals instead of forwarding them to the leader.
  public var disableProposalForwarding: Bool = false
  /// Seed of the node's own PRNG (SplitMix64) used for randomized election timeouts.
  public var randomSeed: UInt64

  /// Creates a configuration with defaults.
  public init(id: NodeID, storage: any RaftStorage, randomSeed: UInt64) {
    self.id = id
    self.storage = storage
    self.randomSeed = randomSeed
  }

  /// Checks the configuration; throws ``RaftError/invalidConfig(_:)`` naming the bad field.
  public func validate() throws(RaftError) {
    if id == noNode { throw .invalidConfig("id must not be 0; give every member a distinct non-zero ID") }
    if heartbeatTick <= 0 { throw .invalidConfig("heartbeatTick must be greater than 0") }
    if electionTick <= heartbeatTick {
      throw .invalidConfig("electionTick (\(electionTick)) must be greater than heartbeatTick (\(heartbeatTick))")
    }
    if maxInflightMsgs <= 0 { throw .invalidConfig("maxInflightMsgs must be greater than 0") }
    if readOnlyOption == .leaseBased && !checkQuorum {
      throw .invalidConfig("readOnlyOption .leaseBased requires checkQuorum = true; enable it or use .safe")
    }
  }
}

/// Errors reported by ``RawNode``.
public enum RaftError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The proposal was not appended: no known leader, forwarding disabled, a leadership transfer in progress, this
  /// node removed from the configuration, or the uncommitted-size limit reached.
  case proposalDropped
  /// A local message type (hup, beat, ...) was passed to `step`.
  case stepLocalMessage
  /// A response came from a node that is not in the configuration.
  case stepPeerNotFound
  /// The configuration is invalid.
  case invalidConfig(String)

  public var description: String {
    switch self {
    case .proposalDropped:
      return "raft proposal dropped (no leader, forwarding disabled, leadership transfer in progress, "
        + "node removed, or too many uncommitted entries); retry after a leader is known"
    case .stepLocalMessage:
      return "cannot step a local raft message; use tick(), campaign() or report*() instead"
    case .stepPeerNotFound:
      return "raft response from a node that is not a member; drop it (the peer may have been removed)"
    case .invalidConfig(let why):
      return "invalid raft config: \(why)"
    }
  }
}

/// SplitMix64: a tiny deterministic PRNG (Steele, Lea, Flood 2014) for randomized election timeouts.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// Creates a generator from a seed.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
