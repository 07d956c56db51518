// Catch-up: unsynced watchers read history in bounded rounds (at most `maxRevisionsPerRound` revisions for at most
// `maxWatchersPerRound` watchers) until they reach the current revision and join the synced group; victims retry
// their pending response. History is read without the hub's lock, so commits never wait for a round.

extension WatchHub {
  /// What one round reads: the chosen watchers and the revisions [from, through]; `current` is the store's revision
  /// when the round started, which its responses carry (etcd 3.4 stamps catch-up responses with the current
  /// revision, not the last one they cover).
  private struct RoundPlan {
    var serials: [Int]
    var from: Int64
    var through: Int64
    var current: Int64
    /// `State.restores` when the round started.
    var restores: Int
  }

  /// Runs one catch-up round: retries victims, cancels watchers whose start revision was compacted, reads the next
  /// batch of history for up to `maxWatchersPerRound` unsynced watchers and delivers it. Returns true while work
  /// remains (unsynced watchers or victims); the server calls it again (etcd: every 100 ms, 10 ms for victims).
  /// Rounds do not overlap: a call made while another runs returns at once.
  @discardableResult
  public func syncRound() -> Bool {
    let compacted = source.compactedRevision
    guard let plan = startRound(compacted: compacted) else { return hasPendingWork() }
    let events: [Event]
    do {
      events = try source.events(from: plan.from, through: plan.through, limit: 0)
    } catch {
      failRound(plan, error: error)
      return true
    }
    finishRound(plan, events: events)
    return hasPendingWork()
  }

  /// True while some watcher is unsynced or a victim.
  public func hasPendingWork() -> Bool {
    state.withLock { !$0.unsynced.isEmpty || !$0.victims.isEmpty }
  }

  private func startRound(compacted: Int64) -> RoundPlan? {
    state.withLock { s -> RoundPlan? in
      guard !s.syncing else { return nil }
      retryVictims(in: &s)
      guard !s.unsynced.isEmpty else { return nil }
      // Watchers take turns by serial, starting after the last one served, so that when more than
      // `maxWatchersPerRound` lag behind a busy store, none waits forever behind the others.
      var after: [Watcher] = []
      var before: [Watcher] = []
      var caughtUp: [Watcher] = []
      var compactedAway: [Watcher] = []
      for watcher in s.unsynced.values {
        if watcher.minRev < compacted {
          compactedAway.append(watcher)
        } else if watcher.minRev > s.currentRevision {
          caughtUp.append(watcher)
        } else if watcher.serial > s.syncCursor {
          after.append(watcher)
        } else {
          before.append(watcher)
        }
      }
      for watcher in compactedAway { Self.cancelCompacted(watcher, compactedRevision: compacted, in: &s) }
      for watcher in caughtUp { Self.place(watcher, in: &s) }
      let limit = configuration.maxWatchersPerRound
      var chosen: [Watcher]
      if after.count > limit {
        chosen = Array(after.sorted { $0.serial < $1.serial }.prefix(limit))
        s.syncCursor = chosen[limit - 1].serial
      } else if before.count > limit - after.count {
        let wrapped = before.sorted { $0.serial < $1.serial }.prefix(limit - after.count)
        chosen = after + wrapped
        s.syncCursor = wrapped.last?.serial ?? -1
      } else {
        chosen = after + before
        s.syncCursor = -1
      }
      let serials = chosen.map(\.serial)
      let from = chosen.lazy.map(\.minRev).min() ?? .max
      guard !serials.isEmpty else { return nil }
      s.syncing = true
      let through = min(s.currentRevision, from + configuration.maxRevisionsPerRound - 1)
      return RoundPlan(serials: serials, from: from, through: through, current: s.currentRevision, restores: s.restores)
    }
  }

  private func failRound(_ plan: RoundPlan, error: MVCCError) {
    state.withLock { s in
      s.syncing = false
      guard plan.restores == s.restores else { return }  // the store changed under the round: retry on the new one
      s.lastSyncError = error
      guard case .compacted(_, let compactedRevision) = error else { return }
      // The history the watchers need is gone: cancel every chosen watcher the compaction overtook.
      for serial in plan.serials {
        guard let watcher = s.unsynced[serial], watcher.minRev <= compactedRevision else { continue }
        Self.cancelCompacted(watcher, compactedRevision: compactedRevision, in: &s)
      }
    }
  }

  private func finishRound(_ plan: RoundPlan, events: [Event]) {
    state.withLock { s in
      s.syncing = false
      guard plan.restores == s.restores else { return }  // history of the replaced store: read again from the new one
      s.lastSyncError = nil
      var group = WatcherGroup()
      var batches: [Int: [Event]] = [:]
      for serial in plan.serials {
        guard let watcher = s.unsynced[serial], watcher.minRev >= plan.from else { continue }
        group.add(watcher)
        batches[serial] = []
      }
      var matches: [Watcher] = []
      for event in events where event.kv.modRevision <= plan.through {
        matches.removeAll(keepingCapacity: true)
        group.collect(matching: event.kv.key, into: &matches)
        for watcher in matches where event.kv.modRevision >= watcher.minRev {
          batches[watcher.serial, default: []].append(event)
        }
      }
      for (serial, batch) in batches {
        guard let watcher = s.unsynced[serial] else { continue }
        watcher.minRev = max(watcher.minRev, plan.through + 1)
        if let response = watcher.eventResponse(batch, revision: plan.current) {
          guard watcher.stream.outbox.offer(response) else {
            Self.makeVictim(watcher, holding: response, in: &s)
            continue
          }
          watcher.sentSinceProgressCheck = true
        }
        Self.place(watcher, in: &s)
      }
    }
  }

  /// Retries the victims of one stream at once, without reading history (the consumer made room); watchers that
  /// still lag behind go on catching up in the next `syncRound()`.
  func retryVictims(onStream streamID: Int) {
    state.withLock { s in
      guard let stream = s.streams[streamID] else { return }
      retryVictims(stream.watchers.values.filter { $0.place == .victim }, in: &s)
    }
  }

  /// Victims whose stream has room again hand over their pending response and go back to synced or unsynced.
  private func retryVictims(in s: inout State) {
    guard !s.victims.isEmpty else { return }
    retryVictims(Array(s.victims.values), in: &s)
  }

  private func retryVictims(_ candidates: [Watcher], in s: inout State) {
    var delivered: [Watcher] = []
    for watcher in candidates {
      if let pending = watcher.pending {
        guard watcher.stream.outbox.offer(pending) else { continue }
        watcher.sentSinceProgressCheck = true
      }
      delivered.append(watcher)
    }
    for watcher in delivered {
      s.victims[watcher.serial] = nil
      watcher.pending = nil
      watcher.place = .removed
      Self.place(watcher, in: &s)
    }
    // A stream whose victims were all delivered no longer needs the consumer's nudge.
    let stillWaiting = Set(candidates.lazy.filter { $0.place == .victim }.map { ObjectIdentifier($0.stream) })
    for watcher in delivered where !stillWaiting.contains(ObjectIdentifier(watcher.stream)) {
      watcher.stream.outbox.victimsWaiting.store(false, ordering: .releasing)
    }
  }

  /// Puts a watcher with nothing pending where it belongs: synced when it has seen the current revision, else
  /// unsynced.
  static func place(_ watcher: Watcher, in s: inout State) {
    let target: WatcherPlace = watcher.minRev > s.currentRevision ? .synced : .unsynced
    guard watcher.place != target else { return }
    switch watcher.place {
    case .synced: s.synced.remove(watcher)
    case .unsynced: s.unsynced[watcher.serial] = nil
    case .victim: s.victims[watcher.serial] = nil
    case .removed: break
    }
    watcher.place = target
    if target == .synced {
      s.synced.add(watcher)
      // The stream may have been waiting for this watcher to answer a progress request.
      answerProgressRequest(of: watcher.stream, revision: s.currentRevision)
    } else {
      s.unsynced[watcher.serial] = watcher
    }
  }
}
