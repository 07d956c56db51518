// Waiting for keys to go away, for locks and elections (etcd's waitDeletes): the holder with the next lower create
// revision is watched until its key is deleted, then the check repeats.

import EtcdProto
import Foundation
import MVCC

extension EtcdServer {
  /// Returns once no key under `prefix` has a create revision at or below `maxCreateRevision`.
  func waitForDeletions(prefix: [UInt8], maxCreateRevision: Int64, caller: Caller) async throws(ServerError) {
    while true {
      var request = Etcdserverpb_RangeRequest()
      request.key = Data(prefix)
      request.rangeEnd = Data(KeyRange.prefix(prefix).end)
      request.maxCreateRevision = maxCreateRevision
      request.sortOrder = .descend
      request.sortTarget = .create
      request.limit = 1
      let found = try await range(request, caller: caller)
      guard let holder = found.kvs.first else { return }
      try await waitForDeletion(of: [UInt8](holder.key), after: found.header.revision, caller: caller)
    }
  }

  /// Returns once `key` is deleted at a revision after `revision` (or at once when it already was).
  func waitForDeletion(of key: [UInt8], after revision: Int64, caller: Caller) async throws(ServerError) {
    let deleted = try await firstWatchResponse(
      on: KeyRange(key: key), after: revision, filters: .noPut) { $0.events.contains { $0.kind == .delete } }
    guard !deleted else { return }
    // The watch was canceled by a compaction past `revision`: check the key again from the current state.
    var request = Etcdserverpb_RangeRequest()
    request.key = Data(key)
    if try await range(request, caller: caller).kvs.isEmpty { return }
    try await waitForDeletion(of: key, after: store.currentRevision, caller: caller)
  }

  /// Watches `range` from `revision + 1` until a response with events arrives (true when `matches` it) or the
  /// watch is canceled (false). Throws `.canceled` when the caller's task is canceled meanwhile.
  func firstWatchResponse(
    on range: KeyRange, after revision: Int64, filters: WatchFilters = [],
    matches: @Sendable (WatchResponse) -> Bool = { _ in true }
  ) async throws(ServerError) -> Bool {
    let stream = watchHub.openStream()
    defer { stream.close() }
    stream.create(WatchCreateRequest(range: range, startRevision: revision + 1, filters: filters))
    let matched = await withTaskCancellationHandler {
      for await response in stream {
        if response.canceled { return false }
        if !response.events.isEmpty && matches(response) { return true }
      }
      return false
    } onCancel: {
      stream.close()
    }
    if Task.isCancelled { throw .canceled }
    return matched
  }
}
