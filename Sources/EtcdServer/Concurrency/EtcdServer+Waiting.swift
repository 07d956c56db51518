// Waiting for keys to go away, for locks and elections (etcd's waitDeletes): the holder with the next lower create
// revision is watched until its key is deleted, then the check repeats.

import EtcdProto
import Foundation
import MVCC

extension EtcdServer {
  /// Returns once no key under `prefix` has a create revision at or below `maxCreateRevision`.
  func waitForDeletions(prefix: [UInt8], maxCreateRevision: Int64) async throws(ServerError) {
    while true {
      var request = Etcdserverpb_RangeRequest()
      request.key = Data(prefix)
      request.rangeEnd = Data(KeyRange.prefix(prefix).end)
      request.maxCreateRevision = maxCreateRevision
      request.sortOrder = .descend
      request.sortTarget = .create
      request.limit = 1
      let found = try await range(request)
      guard let holder = found.kvs.first else { return }
      try await waitForDeletion(of: [UInt8](holder.key), after: found.header.revision)
    }
  }

  /// Returns once `key` is deleted at a revision after `revision` (or at once when it already was).
  func waitForDeletion(of key: [UInt8], after revision: Int64) async throws(ServerError) {
    let stream = watchHub.openStream()
    defer { stream.close() }
    stream.create(WatchCreateRequest(range: KeyRange(key: key), startRevision: revision + 1, filters: .noPut))
    let deleted = await withTaskCancellationHandler {
      for await response in stream {
        if response.canceled { return false }
        if response.events.contains(where: { $0.kind == .delete }) { return true }
      }
      return false
    } onCancel: {
      stream.close()
    }
    if !deleted {
      if Task.isCancelled { throw .canceled }
      // The watch was canceled by a compaction past `revision`: check the key again from the current state.
      var request = Etcdserverpb_RangeRequest()
      request.key = Data(key)
      if try await range(request).kvs.isEmpty { return }
      try await waitForDeletion(of: key, after: store.currentRevision)
    }
  }
}
