// Stream requests on the hub: create and cancel watchers, close a stream (etcd's watchStream and v3rpc rules).

extension WatchHub {
  /// Creates a watcher on stream `streamID` and queues the created (or refused) response.
  func create(_ request: WatchCreateRequest, onStream streamID: Int) {
    let compacted = request.startRevision > 0 ? source.compactedRevision : 0
    state.withLock { s in
      guard let stream = s.streams[streamID] else { return }
      let revision = s.currentRevision
      func refuse(_ reason: String) {
        _ = stream.outbox.offer(
          WatchResponse(watchID: -1, created: true, canceled: true, cancelReason: reason, revision: revision),
          force: true)
      }
      let range = request.range
      if !range.isSingleKey && !range.isOpenEnded && !range.key.lexicographicallyPrecedes(range.end) {
        return refuse(WatchCancelReason.emptyRange)
      }
      guard request.watchID >= 0 else { return refuse(WatchCancelReason.negativeID) }
      var id = request.watchID
      if id == 0 {
        while stream.watchers[stream.nextWatchID] != nil { stream.nextWatchID += 1 }
        id = stream.nextWatchID
        stream.nextWatchID += 1
      } else if stream.watchers[id] != nil {
        return refuse(WatchCancelReason.duplicateID)
      }
      // etcd: a start revision of 0 or past the current revision makes a synced watcher.
      let synced = request.startRevision == 0 || request.startRevision > revision
      let minRev = synced ? max(revision + 1, request.startRevision) : request.startRevision
      let watcher = Watcher(serial: s.nextSerial, id: id, stream: stream, request: request, minRev: minRev)
      s.nextSerial += 1
      stream.watchers[id] = watcher
      _ = stream.outbox.offer(WatchResponse(watchID: id, created: true, revision: revision), force: true)
      if synced {
        watcher.place = .synced
        s.synced.add(watcher)
      } else if minRev < compacted {
        Self.cancelCompacted(watcher, compactedRevision: compacted, in: &s)
      } else {
        watcher.place = .unsynced
        s.unsynced[watcher.serial] = watcher
      }
    }
  }

  /// Cancels watcher `watchID` of stream `streamID`; queues a canceled response when it existed.
  func cancel(watchID: Int64, onStream streamID: Int) {
    state.withLock { s in
      guard let stream = s.streams[streamID], let watcher = stream.watchers[watchID] else { return }
      Self.remove(watcher, in: &s)
      _ = stream.outbox.offer(
        WatchResponse(watchID: watchID, canceled: true, revision: s.currentRevision), force: true)
      if stream.progressRequested { Self.answerProgressRequest(of: stream, revision: s.currentRevision) }
    }
  }

  /// Drops every watcher of the stream and closes its outbox.
  func close(stream streamID: Int) {
    let outbox = state.withLock { s -> WatchOutbox? in
      guard let stream = s.streams.removeValue(forKey: streamID) else { return nil }
      for watcher in stream.watchers.values { Self.remove(watcher, in: &s) }
      return stream.outbox
    }
    outbox?.close()
  }

  /// Takes `watcher` out of whatever group holds it and off its stream.
  static func remove(_ watcher: Watcher, in s: inout State) {
    switch watcher.place {
    case .synced: s.synced.remove(watcher)
    case .unsynced: s.unsynced[watcher.serial] = nil
    case .victim: s.victims[watcher.serial] = nil
    case .removed: break
    }
    watcher.place = .removed
    watcher.pending = nil
    if watcher.stream.watchers[watcher.id] === watcher { watcher.stream.watchers[watcher.id] = nil }
  }

  /// etcd's answer to a watcher whose start revision was compacted away: canceled, with the compacted revision, and
  /// revision 0 in the header (etcd 3.4's compaction response carries no revision).
  static func cancelCompacted(_ watcher: Watcher, compactedRevision: Int64, in s: inout State) {
    remove(watcher, in: &s)
    _ = watcher.stream.outbox.offer(
      WatchResponse(
        watchID: watcher.id, canceled: true, compactRevision: compactedRevision, revision: 0),
      force: true)
    // Its stream may have been waiting only for this watcher to answer a progress request (etcd issue 17507).
    answerProgressRequest(of: watcher.stream, revision: s.currentRevision)
  }
}
