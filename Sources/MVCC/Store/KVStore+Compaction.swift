// Compaction: drop the history before a revision. The scheduled revision is recorded first (so a crash resumes
// it), the index is compacted at once, then rows are deleted in batches, each its own transaction so writes and
// reads interleave, and the finished revision is recorded last.

extension KVStore {
  /// etcd's Compact: refuses a revision at or below the compacted one ("required revision has been compacted") or
  /// above the current one ("is a future revision"). Reads below `revision` fail from now on. With `physical`, also
  /// deletes the old rows before returning (etcd's `physical: true`); otherwise call `finishCompaction()` (for example
  /// from a background thread).
  @discardableResult
  public func compact(_ revision: Int64, applied: ConsistentIndex? = nil, physical: Bool = true) throws(MVCCError)
    -> CompactResponse
  {
    let response = try exclusively { () throws(MVCCError) -> CompactResponse in
      if let applied { try backend.setConsistentIndex(applied) }
      guard revision > compactedRevision else {
        throw MVCCError.compacted(requested: revision, compactedRevision: compactedRevision)
      }
      guard revision <= currentRevision else {
        throw MVCCError.futureRevision(requested: revision, currentRevision: currentRevision)
      }
      setCompactedRevision(revision)
      try backend.setMeta(MetaKey.scheduledCompactRevision, revision)
      try backend.commit()
      pendingCompaction = (revision, index.compact(atRevision: revision))
      return CompactResponse(revision: currentRevision)
    }
    if physical { try finishCompaction() }
    return response
  }

  /// Deletes the rows the last compaction made unreachable, `compactionBatchLimit` rows per transaction, excluding
  /// readers and writers only per batch; records the finished compaction revision at the end. Does nothing when none is due.
  public func finishCompaction() throws(MVCCError) {
    var after = Revision(main: 0, sub: -1)
    while true {
      let done = try exclusively { () throws(MVCCError) -> Bool in
        guard let job = pendingCompaction else { return true }
        let batch = try backend.revisionsForCompaction(
          after: after, through: job.revision, limit: options.compactionBatchLimit)
        for revision in batch where !job.keep.contains(revision) { try backend.delete(revision) }
        if let last = batch.last { after = last }
        let finished = batch.count < options.compactionBatchLimit
        if finished {
          try backend.setMeta(MetaKey.finishedCompactRevision, job.revision)
          pendingCompaction = nil
        }
        try backend.commit()
        return finished
      }
      if done { return }
    }
  }
}
