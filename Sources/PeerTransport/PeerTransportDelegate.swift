// What the member (EtcdServer) provides to its peer transport, and the snapshot data source it hands out.
import Raft

/// The member behind a ``PeerTransport``. All calls come on transport threads and must not block.
public protocol PeerTransportDelegate: AnyObject, Sendable {
  /// Raft messages received from peers, in order per sender.
  func receive(_ messages: [Raft.Message])
  /// A `.snapshot` message whose data was fully received into `dataFile` (a file in
  /// ``PeerTransportOptions/snapshotDirectory``; the delegate takes ownership). Called only after the last chunk
  /// arrived and its checksum matched.
  func receive(snapshot message: Raft.Message, dataFile: String)
  /// Opens the data to send with an outgoing `.snapshot` message.
  func openSnapshotData(for message: Raft.Message) throws -> any PeerSnapshotSource
  /// Whether `id` was removed from the cluster (its messages are refused with "removed member").
  func isRemoved(_ id: UInt64) -> Bool
  /// Delivery to `id` failed (call `RawNode.reportUnreachable`).
  func unreachable(_ id: UInt64)
  /// The snapshot sent to `id` was delivered (`failed == false`) or not (call `RawNode.reportSnapshot`).
  func snapshotSent(to id: UInt64, failed: Bool)
  /// A peer refused us because we were removed from the cluster: the member must shut down.
  func removedFromCluster(by peer: UInt64)
  /// Answers a joining member's request for the cluster's membership (opaque bytes the delegate encodes).
  func membership() -> [UInt8]
}

/// The data sent after a `.snapshot` message, read chunk by chunk on a transport thread.
public protocol PeerSnapshotSource: AnyObject {
  /// The number of bytes ``nextChunk()`` will return in all.
  var totalBytes: Int64 { get }
  /// The next chunk (at most about 1 MiB is best), or nil at the end.
  func nextChunk() throws -> [UInt8]?
}
