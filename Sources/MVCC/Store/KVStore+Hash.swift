// Hash and HashKV: CRC-32C checksums members compare to detect divergence.

import Checksum

/// etcd's HashKV result.
public struct HashKVResult: Hashable, Sendable {
  /// CRC-32C of the revisions a compaction at the requested revision keeps, in revision order.
  public var hash: UInt32
  /// The store's compacted revision.
  public var compactRevision: Int64
  /// The store's current revision (etcd's header.revision).
  public var currentRevision: Int64
}

extension KVStore {
  /// CRC-32C over the whole kv table (every stored revision: its revision, key, value and tombstone flag).
  public func hash() throws(MVCCError) -> UInt32 {
    try lock.reading { () throws(MVCCError) -> UInt32 in
      var crc = RunningCRC32C()
      // Through the current revision: a write transaction in progress has rows above it.
      try backend.forEachChange(through: currentRevision) { Self.feed(&crc, $0) }
      return crc.value
    }
  }

  /// etcd's HashKV(rev): CRC-32C over the revisions up to `revision` (0 = current) that a compaction at `revision`
  /// would keep, in revision order. Equal on members with the same history, however they batched or restarted.
  public func hashKV(_ revision: Int64) throws(MVCCError) -> HashKVResult {
    try lock.reading { () throws(MVCCError) -> HashKVResult in
      let compactRev = compactedRevision
      let currentRev = currentRevision
      if revision > 0 && revision <= compactRev {
        throw MVCCError.compacted(requested: revision, compactedRevision: compactRev)
      }
      if revision > currentRev { throw MVCCError.futureRevision(requested: revision, currentRevision: currentRev) }
      let upTo = revision == 0 ? currentRev : revision
      let keep = index.keep(atRevision: upTo)
      var crc = RunningCRC32C()
      try backend.forEachChange(through: upTo) { row in
        if row.revision.main <= compactRev && !keep.isEmpty && !keep.contains(row.revision) { return }
        Self.feed(&crc, row)
      }
      return HashKVResult(hash: crc.value, compactRevision: compactRev, currentRevision: currentRev)
    }
  }

  private static func feed(_ crc: inout RunningCRC32C, _ row: StoredRevision) {
    crc.update(row.revision.main)
    crc.update(row.revision.sub)
    crc.update(row.kv.key)
    crc.update(row.kv.value)
    crc.update(row.tombstone ? 1 : 0)
  }
}
