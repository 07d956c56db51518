// The Raft loop's membership side: proposing membership changes, applying conf-change entries (to the membership,
// the Raft configuration and the peer transport), installing snapshots received from the leader, and shutting the
// member down once it applied its own removal.

import Foundation
import MVCC
import Raft

/// What the Raft loop needs of the peer transport.
protocol PeerSending: AnyObject, Sendable {
  /// Sends messages (never blocks; undeliverable ones are reported back as unreachable).
  func send(_ messages: [Message])
  /// Adds a peer or changes its URLs.
  func setPeer(_ id: UInt64, urls: [String])
  /// Forgets a peer.
  func removePeer(_ id: UInt64)
}

extension RaftLoop {
  /// Proposes a membership change (add, remove, promote) and waits until it is applied.
  func submit(_ change: MembershipChange, promoted: ClusterMember? = nil) async -> Result<AppliedResponse, ServerError> {
    let id = nextID.add(1, ordering: .relaxed).newValue
    guard let confChange = change.confChange(requestID: id, promoted: promoted) else {
      return .failure(.internalError("\(change) is not a conf change"))
    }
    return await proposeAndWait(id: id, .proposeConfChange(id: id, confChange))
  }

  /// Runs `body` on the loop's thread with the node's status; nil when the loop stopped first.
  func inspect<T: Sendable>(_ body: @escaping @Sendable (RaftStatus) -> T) async -> T? {
    await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
      if !enqueue(.inspect { continuation.resume(returning: $0.map(body)) }) { continuation.resume(returning: nil) }
    }
  }

  /// A lone voter campaigns at once instead of waiting out an election timeout. Raft refuses to campaign while
  /// committed conf changes are unapplied, so this runs after a Ready is advanced, not while its entries apply.
  func campaignIfAlone() {
    guard confState.voters.count == 1, confState.voters.contains(node.id) else { return }
    if node.status.role != .leader { try? node.campaign() }
  }

  /// Applies a committed conf-change entry. A replayed entry (applied before a restart) changes only the Raft
  /// configuration, unless it was refused when first applied; a new one is checked against the membership, which
  /// records it (or its refusal) with the entry's index. Removals always reach Raft (removing a member Raft does
  /// not know changes nothing there).
  func applyConfChange(_ entry: Entry) throws {
    guard let change = ConfChange(decoding: entry.data) else {
      throw ServerError.corruptEntry("the conf change at index \(entry.index) does not decode")
    }
    if entry.index <= applier.appliedIndex {
      if !membership.wasRejected(entry.index) { confState = node.applyConfChange(change) }
      configurationChanged()
      return
    }
    let applied = ConsistentIndex(index: entry.index, term: entry.term)
    applier.advance(to: entry.index)
    guard let (requestID, membershipChange) = MembershipChange.decode(change, in: membership) else {
      // A change that carries no member (--force-new-cluster making this member a voter again): Raft only.
      confState = node.applyConfChange(change)
      try applier.record(applied)
      configurationChanged()
      return
    }
    let result = try membership.apply(membershipChange, applied: applied, store: store)
    if case .success = result {
      confState = node.applyConfChange(change)
    } else if case .remove = membershipChange {
      confState = node.applyConfChange(change)
    }
    if case .success = result {
      log.info("applied a membership change", [
        "change": Self.describe(membershipChange), "raft-index": "\(entry.index)",
        "local-member-id": String(node.id, radix: 16),
      ])
    }
    answerProposal(requestID, result.map { .membership }.mapError { .membership($0) })
    configurationChanged()
  }

  /// After the configuration or the membership changed: the transport's peers follow the membership, a learner
  /// status is published, a lone voter campaigns, and a removed member stops.
  func configurationChanged() {
    let learner = confState.learners.contains(node.id)
    status.withLock { $0.isLearner = learner }
    syncPeers()
    configurationMayLeaveUsAlone = true
    if !removed && membership.isRemoved(node.id) {
      removed = true
      log.warn("the member has been permanently removed from the cluster", [
        "local-member-id": String(node.id, radix: 16),
      ])
      onRemoved?()
    }
  }

  /// Points the transport at every other member's peer URLs and drops removed members.
  func syncPeers() {
    syncedMembershipVersion = membership.version
    guard let peers else { return }
    let members = membership.members
    for member in members where member.id != node.id { peers.setPeer(member.id, urls: member.peerURLs) }
    for id in syncedPeerIDs.subtracting(members.map(\.id)) { peers.removePeer(id) }
    syncedPeerIDs = Set(members.map(\.id)).subtracting([node.id])
  }

  /// A snapshot message from the leader whose backend file arrived: the file waits until Raft hands the snapshot
  /// over in a Ready. Raft ignores a stale snapshot without a word, so files of snapshots at or below the applied
  /// index go whenever another arrives (and at shutdown).
  func receiveSnapshot(_ message: Message, file: String) {
    guard let index = message.snapshot?.metadata.index else {
      try? FileManager.default.removeItem(atPath: file)
      return
    }
    for (stale, path) in arrivedSnapshots where stale <= applier.appliedIndex {
      try? FileManager.default.removeItem(atPath: path)
      arrivedSnapshots[stale] = nil
    }
    if let older = arrivedSnapshots[index] { try? FileManager.default.removeItem(atPath: older) }
    arrivedSnapshots[index] = file
    do {
      try node.step(message)
    } catch {
      arrivedSnapshots[index] = nil
      try? FileManager.default.removeItem(atPath: file)
    }
  }

  /// Installs a snapshot Raft accepted (already persisted as the WAL's snapshot): the backend is replaced by the
  /// leader's copy, and the leases, auth and membership are read back from it.
  func installSnapshot(_ snapshot: Snapshot) throws {
    let index = snapshot.metadata.index
    defer {
      for (other, file) in arrivedSnapshots where other <= index {
        try? FileManager.default.removeItem(atPath: file)
        arrivedSnapshots[other] = nil
      }
    }
    confState = snapshot.metadata.confState
    guard let file = arrivedSnapshots[index] else {
      guard applier.appliedIndex >= index else {
        throw ServerError.storage(
          "Raft installed the snapshot at index \(index) but its backend file never arrived; restart the member "
            + "(it asks the leader again) or remove it and add it back with an empty data dir")
      }
      configurationChanged()
      return
    }
    do {
      try store.restore(fromDatabaseFile: file, minimumConsistentIndex: index)
      try leases.reload(now: clock.now())
    } catch {
      throw ServerError.storage("installing the leader's snapshot at index \(index) failed: \(error)")
    }
    arrivedSnapshots[index] = nil
    try applier.auth.reload()
    try membership.reload(from: store)
    try applier.reloadAppliedIndex()
    log.info("applied snapshot", [
      "snapshot-index": "\(index)", "consistent-index": "\(applier.appliedIndex)",
      "revision": "\(store.currentRevision)",
    ])
    configurationChanged()
  }

  static func describe(_ change: MembershipChange) -> String {
    switch change {
    case .add(let member):
      "add \(member.isLearner ? "learner" : "voter") \(String(member.id, radix: 16)) \(member.peerURLs)"
    case .remove(let id): "remove \(String(id, radix: 16))"
    case .promote(let id): "promote \(String(id, radix: 16))"
    case .updatePeerURLs(let id, let urls): "update \(String(id, radix: 16)) \(urls)"
    case .publish(let id, let name, let urls): "publish \(String(id, radix: 16)) name=\(name) client-urls=\(urls)"
    }
  }
}
