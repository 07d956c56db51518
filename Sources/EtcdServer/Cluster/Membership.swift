// The cluster's membership as this member has applied it (etcd's RaftCluster): the members, the IDs removed for
// good, and the conf-change entries that were refused when applied. It changes only when entries apply, so every
// member holds the same membership at the same log index; it is stored in the backend's members table in the same
// transaction as the entry's index, and reloaded at start and after a snapshot is installed.

import Foundation
import MVCC
import Raft
import Synchronization

/// The membership of the cluster, as applied.
public final class Membership: Sendable {
  private struct State {
    var members: [UInt64: ClusterMember] = [:]
    var removed: Set<UInt64> = []
    var rejected: Set<LogIndex> = []
  }

  /// This member's ID.
  public let localID: UInt64
  private let state = Mutex(State())
  private let changes = Atomic<UInt64>(0)

  /// Counts applied changes and reloads (the Raft loop re-points the peer transport when it moves).
  var version: UInt64 { changes.load(ordering: .acquiring) }

  /// etcd 3.4 allows one learner at a time.
  public static let maxLearners = 1

  /// An empty membership (filled by applying the log, or by `reload`).
  init(localID: UInt64) {
    self.localID = localID
  }

  // MARK: Reading

  /// Every member, by ascending ID (etcd lists them so).
  public var members: [ClusterMember] {
    state.withLock { $0.members.values.sorted { $0.id < $1.id } }
  }

  /// The member with `id`, nil when there is none.
  public func member(_ id: UInt64) -> ClusterMember? { state.withLock { $0.members[id] } }

  /// Whether `id` was removed from the cluster (it may never rejoin under that ID).
  public func isRemoved(_ id: UInt64) -> Bool { state.withLock { $0.removed.contains(id) } }

  /// The voting members.
  public var voters: [ClusterMember] { members.filter { !$0.isLearner } }

  /// Whether the conf-change entry at `index` was refused when it was applied (a replay must skip it too).
  func wasRejected(_ index: LogIndex) -> Bool { state.withLock { $0.rejected.contains(index) } }

  // MARK: Checking

  /// etcd's ValidateConfigurationChange: whether `change` may apply to the membership as it stands.
  func validate(_ change: MembershipChange) throws(MembershipError) {
    try state.withLock { s throws(MembershipError) in try Self.validate(change, against: s) }
  }

  private static func validate(_ change: MembershipChange, against s: State) throws(MembershipError) {
    switch change {
    case .add(let member):
      if s.removed.contains(member.id) || s.members[member.id] != nil { throw .memberExists }
      let used = Set(s.members.values.flatMap(\.peerURLs))
      if member.peerURLs.contains(where: used.contains) { throw .peerURLExists }
      if member.isLearner && s.members.values.filter(\.isLearner).count >= maxLearners { throw .tooManyLearners }
    case .remove(let id):
      if s.members[id] == nil { throw .memberNotFound }
    case .promote(let id):
      guard let member = s.members[id] else { throw .memberNotFound }
      if !member.isLearner { throw .notLearner }
    case .updatePeerURLs(let id, let urls):
      if s.members[id] == nil { throw .memberNotFound }
      let used = Set(s.members.values.filter { $0.id != id }.flatMap(\.peerURLs))
      if urls.contains(where: used.contains) { throw .peerURLExists }
    case .publish(let id, _, _):
      if s.members[id] == nil { throw .memberNotFound }
    }
  }

  // MARK: Changing (only the Raft loop calls these, as entries apply)

  /// Validates and applies `change` (the entry at `applied`) and stores the result in the same backend
  /// transaction as `applied`. A refused change is recorded as refused, so a replay refuses it too.
  func apply(_ change: MembershipChange, applied: ConsistentIndex, store: KVStore) throws(ServerError)
    -> Result<Void, MembershipError>
  {
    let (result, writes) = state.withLock { s -> (Result<Void, MembershipError>, [(name: String, value: [UInt8]?)]) in
      do throws(MembershipError) {
        try Self.validate(change, against: s)
      } catch {
        // A refused removal still reaches Raft (it changes nothing there), so a replay need not know of it.
        if case .remove = change { return (.failure(error), []) }
        s.rejected.insert(applied.index)
        return (.failure(error), [(Self.rejectedKey(applied.index), [1])])
      }
      switch change {
      case .add(let member):
        s.members[member.id] = member
        return (.success(()), [(Self.memberKey(member.id), member.encoded())])
      case .remove(let id):
        s.members[id] = nil
        s.removed.insert(id)
        return (.success(()), [(Self.memberKey(id), nil), (Self.removedKey(id), [1])])
      case .promote(let id):
        s.members[id]!.isLearner = false
        return (.success(()), [(Self.memberKey(id), s.members[id]!.encoded())])
      case .updatePeerURLs(let id, let urls):
        s.members[id]!.peerURLs = urls.sorted()
        return (.success(()), [(Self.memberKey(id), s.members[id]!.encoded())])
      case .publish(let id, let name, let clientURLs):
        s.members[id]!.name = name
        s.members[id]!.clientURLs = clientURLs
        return (.success(()), [(Self.memberKey(id), s.members[id]!.encoded())])
      }
    }
    do { try store.writeBlobs(.members, writes, applied: applied) } catch { throw .store(error) }
    changes.add(1, ordering: .releasing)
    return result
  }

  /// Replaces the membership with what `store` holds (at start, and after a snapshot is installed).
  func reload(from store: KVStore) throws(ServerError) {
    let rows: [(name: String, value: [UInt8])]
    do { rows = try store.blobs(.members) } catch { throw .store(error) }
    var loaded = State()
    for row in rows {
      let parts = row.name.split(separator: "/", maxSplits: 1)
      guard parts.count == 2 else { continue }
      switch parts[0] {
      case "m":
        guard let member = ClusterMember(decoding: row.value) else {
          throw .corruptEntry("the members table holds a row \(row.name) that is not a member")
        }
        loaded.members[member.id] = member
      case "r":
        if let id = UInt64(parts[1], radix: 16) { loaded.removed.insert(id) }
      case "x":
        if let index = UInt64(parts[1]) { loaded.rejected.insert(index) }
      default:
        continue
      }
    }
    state.withLock { $0 = loaded }
    changes.add(1, ordering: .releasing)
  }

  private static func memberKey(_ id: UInt64) -> String { "m/" + String(id, radix: 16) }
  private static func removedKey(_ id: UInt64) -> String { "r/" + String(id, radix: 16) }
  private static func rejectedKey(_ index: LogIndex) -> String { "x/\(index)" }
}
