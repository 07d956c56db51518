// The gRPC surface between members: service swetcd.peer.Raft with hand-registered methods over raw bytes, the
// identity metadata every call carries, and the refusal messages both sides agree on.
import GRPCCore

enum PeerWire {
  static let service = "swetcd.peer.Raft"
  /// Bidirectional: the sender writes message batches; the receiver answers one empty message once accepted.
  static let stream = MethodDescriptor(fullyQualifiedService: service, method: "Stream")
  /// Client streaming: header (the `.snapshot` message), data chunks, trailer (length and CRC-32C).
  static let snapshot = MethodDescriptor(fullyQualifiedService: service, method: "Snapshot")
  /// Unary: answers the receiver's wall clock (nanoseconds since 1970, 8 bytes little-endian).
  static let probe = MethodDescriptor(fullyQualifiedService: service, method: "Probe")
  /// Unary: answers the delegate's encoded membership.
  static let membership = MethodDescriptor(fullyQualifiedService: service, method: "Membership")

  static let senderKey = "swetcd-sender-id"
  static let targetKey = "swetcd-target-id"
  static let clusterKey = "swetcd-cluster-id"

  static let clusterMismatch = "cluster ID mismatch"
  static let removedMember = "removed member"
  static let targetMismatch = "target member ID mismatch"

  /// Snapshot frame kinds (first byte of each snapshot request message).
  static let snapshotHeader: UInt8 = 1
  static let snapshotChunk: UInt8 = 2
  static let snapshotTrailer: UInt8 = 3

  /// Upper bound of one received gRPC message (a batch or a snapshot chunk).
  static let maxMessageBytes = 256 << 20
  /// A batch is closed once its encoded size estimate passes this (a single larger message still goes alone).
  static let batchTargetBytes = 4 << 20

  /// The identity metadata of a call from `sender` to `target` in `cluster`.
  static func identity(sender: UInt64, target: UInt64, cluster: UInt64) -> Metadata {
    var metadata = Metadata()
    metadata.addString(hex(sender), forKey: senderKey)
    metadata.addString(hex(target), forKey: targetKey)
    metadata.addString(hex(cluster), forKey: clusterKey)
    return metadata
  }

  /// Reads a hex ID from `metadata`.
  static func id(_ key: String, in metadata: Metadata) -> UInt64? {
    for value in metadata[stringValues: key] { return UInt64(value, radix: 16) }
    return nil
  }

  /// IDs as etcd prints them: lower-case hex without leading zeros.
  static func hex(_ id: UInt64) -> String { String(id, radix: 16) }
}

/// Passes `[UInt8]` messages through gRPC unchanged.
struct RawBytesCoder: MessageSerializer, MessageDeserializer {
  func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }

  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
    serializedMessageBytes.withUnsafeBytes { Array($0) }
  }
}
