// Member and cluster IDs computed as etcd 3.4 computes them, so the same names, URLs and token give the same IDs.

import Crypto
import Foundation

/// etcd's member and cluster ID rules.
public enum MemberIdentity {
  /// etcd's NewMember: the first 8 bytes (big-endian) of SHA-1 over the sorted peer URLs joined with nothing, then
  /// the cluster token.
  public static func memberID(peerURLs: [String], clusterToken: String) -> UInt64 {
    let bytes = Array((peerURLs.sorted().joined() + clusterToken).utf8)
    return firstEightBytes(Insecure.SHA1.hash(data: bytes))
  }

  /// etcd's cluster ID: the first 8 bytes of SHA-1 over the sorted member IDs, each 8 bytes big-endian.
  public static func clusterID(memberIDs: [UInt64]) -> UInt64 {
    var bytes: [UInt8] = []
    for id in memberIDs.sorted() { withUnsafeBytes(of: id.bigEndian) { bytes.append(contentsOf: $0) } }
    return firstEightBytes(Insecure.SHA1.hash(data: bytes))
  }

  private static func firstEightBytes(_ digest: Insecure.SHA1Digest) -> UInt64 {
    digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
  }
}
