// Progress: a client's stream-wide progress request (answered once every watcher of the stream is synced, so the
// revision it carries promises no earlier event is still on its way), and periodic progress notifications to
// watchers that asked for them and got nothing during the interval.

extension WatchHub {
  /// Answers a progress request on stream `streamID` now if all its watchers are synced, else as soon as they are.
  func requestProgress(onStream streamID: Int) {
    state.withLock { s in
      guard let stream = s.streams[streamID] else { return }
      stream.progressRequested = true
      Self.answerProgressRequest(of: stream, revision: s.currentRevision)
    }
  }

  /// Sends the stream-wide progress response (watch ID -1) when one is requested and every watcher is synced.
  static func answerProgressRequest(of stream: StreamRecord, revision: Int64) {
    guard stream.progressRequested, stream.allSynced else { return }
    stream.progressRequested = false
    _ = stream.outbox.offer(WatchResponse(watchID: -1, revision: revision), force: true)
  }

  /// Drives progress notification with the server's monotonic time. When a stream's last check is at least
  /// `progressInterval` old, each of its synced watchers that asked for progress notification and was sent nothing
  /// since that check gets an empty response with the current revision (skipped, not queued, when the stream is
  /// full: the next interval tries again).
  public func tick(now: Duration) {
    state.withLock { s in
      for stream in s.streams.values {
        guard let last = stream.lastProgressCheck else {
          stream.lastProgressCheck = now
          continue
        }
        guard now - last >= configuration.progressInterval else { continue }
        stream.lastProgressCheck = now
        for watcher in stream.watchers.values {
          defer { watcher.sentSinceProgressCheck = false }
          guard watcher.progressNotify, !watcher.sentSinceProgressCheck, watcher.place == .synced else { continue }
          _ = stream.outbox.offer(WatchResponse(watchID: watcher.id, revision: s.currentRevision))
        }
      }
    }
  }
}
