// One simulated member: durable MemoryStorage (survives crashes), and a RawNode plus an in-memory state machine
// (both lost on a crash and rebuilt from the storage on restart).
import Raft

/// Per-seed Raft settings shared by every node of a run.
struct SimRaftSettings {
  var preVote: Bool
  var checkQuorum: Bool
  var electionTick = 10
  var heartbeatTick = 1
  var maxSizePerMsg: UInt64
  var maxInflightMsgs: Int
  var maxUncommittedEntriesSize: UInt64
}

/// A member of the simulated cluster.
final class SimNode {
  let id: NodeID
  /// The durable state: what a real member would find in its WAL and snapshot files after a crash.
  let storage: MemoryStorage
  /// The running node; nil while crashed.
  var raft: RawNode?
  /// The state machine: a hash chained over every applied entry, and the last applied index.
  var stateHash: UInt64 = 0
  var appliedIndex: LogIndex = 0
  /// The configuration as of `appliedIndex`.
  var confState: ConfState
  var lastRole: Role = .follower
  var lastTerm: Term = 0
  var incarnation = 0

  init(id: NodeID, bootstrap: Snapshot, bootstrapHardState: HardState) throws {
    self.id = id
    storage = MemoryStorage(snapshot: bootstrap)
    storage.setHardState(bootstrapHardState)
    confState = bootstrap.metadata.confState
  }

  var isAlive: Bool { raft != nil }

  /// Starts (or restarts) the node from its storage alone.
  func start(settings: SimRaftSettings, randomSeed: UInt64) throws {
    let snapshot = try storage.snapshot()
    (stateHash, appliedIndex) = SimNode.decodeState(snapshot.data)
    if appliedIndex != snapshot.metadata.index {
      throw SimViolation(invariant: "storage", detail: "n\(id) snapshot data says \(appliedIndex) but metadata \(snapshot.metadata.index)")
    }
    confState = snapshot.metadata.confState
    var config = RaftConfig(id: id, storage: storage, randomSeed: randomSeed)
    config.applied = appliedIndex
    config.electionTick = settings.electionTick
    config.heartbeatTick = settings.heartbeatTick
    config.preVote = settings.preVote
    config.checkQuorum = settings.checkQuorum
    config.maxSizePerMsg = settings.maxSizePerMsg
    config.maxInflightMsgs = settings.maxInflightMsgs
    config.maxUncommittedEntriesSize = settings.maxUncommittedEntriesSize
    config.readOnlyOption = .safe
    raft = try RawNode(config: config)
    incarnation += 1
    lastRole = .follower
  }

  func crash() {
    raft = nil
  }

  /// Folds one applied entry into the state hash (FNV-1a over index, term, kind and data).
  static func fold(_ hash: UInt64, _ entry: Entry) -> UInt64 {
    var h = hash == 0 ? 0xCBF2_9CE4_8422_2325 : hash
    func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: entry.index >> UInt64(shift))) }
    for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: entry.term >> UInt64(shift))) }
    mix(entry.kind == .normal ? 0 : 1)
    for byte in entry.data { mix(byte) }
    return h
  }

  /// Snapshot data: the state hash and the applied index, 8 bytes each, little-endian.
  static func encodeState(hash: UInt64, index: LogIndex) -> [UInt8] {
    var out: [UInt8] = []
    for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: hash >> UInt64(shift))) }
    for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: index >> UInt64(shift))) }
    return out
  }

  static func decodeState(_ data: [UInt8]) -> (UInt64, LogIndex) {
    guard data.count == 16 else { return (0, 0) }
    var hash: UInt64 = 0
    var index: UInt64 = 0
    for i in 0..<8 {
      hash |= UInt64(data[i]) << UInt64(8 * i)
      index |= UInt64(data[8 + i]) << UInt64(8 * i)
    }
    return (hash, index)
  }
}
