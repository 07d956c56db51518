// The peer transport's view of the member: received messages and snapshots go into the Raft loop's inbox,
// delivery failures are reported to Raft, outgoing snapshots read a consistent copy of the backend, and a joining
// member is told the membership.

import Foundation
import MVCC
import PeerTransport
import Raft

/// Connects a `PeerTransport` to one member's Raft loop.
final class PeerBridge: PeerTransportDelegate {
  let loop: RaftLoop
  let clusterID: UInt64
  let snapshotDirectory: String
  let onRemoved: @Sendable (UInt64) -> Void

  init(loop: RaftLoop, clusterID: UInt64, snapshotDirectory: String, onRemoved: @escaping @Sendable (UInt64) -> Void) {
    self.loop = loop
    self.clusterID = clusterID
    self.snapshotDirectory = snapshotDirectory
    self.onRemoved = onRemoved
  }

  /// Removes backend files received from a leader (the transport's `snap-*.tmp`/`snap-*.db`) that a crash or stop
  /// left before Raft installed them: at start nothing refers to them.
  static func removeReceivedSnapshotFiles(in directory: String) {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in files where name.hasPrefix("snap-") && (name.hasSuffix(".tmp") || name.hasSuffix(".db")) {
      try? FileManager.default.removeItem(atPath: directory + "/" + name)
    }
  }

  func receive(_ messages: [Message]) { loop.enqueue(.step(messages)) }

  func receive(snapshot message: Message, dataFile: String) {
    // The file is the loop's once queued; a stopped loop takes nothing, so it goes.
    if !loop.enqueue(.snapshotArrived(message, file: dataFile)) { try? FileManager.default.removeItem(atPath: dataFile) }
  }

  func openSnapshotData(for message: Message) throws -> any PeerSnapshotSource {
    try loop.store.snapshot(in: snapshotDirectory)
  }

  func isRemoved(_ id: UInt64) -> Bool { loop.membership.isRemoved(id) }

  func unreachable(_ id: UInt64) { loop.enqueue(.unreachable(id)) }

  func snapshotSent(to id: UInt64, failed: Bool) { loop.enqueue(.snapshotStatus(id, failed: failed)) }

  func removedFromCluster(by peer: UInt64) { onRemoved(peer) }

  func membership() -> [UInt8] {
    ClusterBootstrap.RemoteCluster(clusterID: clusterID, members: loop.membership.members).encoded()
  }
}

extension PeerTransport: PeerSending {}

extension SnapshotStream: PeerSnapshotSource {}
