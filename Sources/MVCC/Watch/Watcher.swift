// One watcher: what it watches, the first revision it still needs, and where it stands (synced, catching up, or a
// victim holding a response its stream had no room for). Only the hub touches it, under the hub's lock.

/// Where a watcher stands in the hub.
enum WatcherPlace {
  /// Fed from each commit.
  case synced
  /// Behind the store: catches up from history in bounded rounds.
  case unsynced
  /// Its stream was full: `pending` waits for room.
  case victim
  /// Canceled; no longer in any group.
  case removed
}

/// The hub's record of one watcher.
final class Watcher {
  /// Unique in the hub (streams reuse watch IDs, the hub does not reuse serials).
  let serial: Int
  /// The client's watch ID on its stream.
  let id: Int64
  let stream: StreamRecord
  let range: KeyRange
  let filters: WatchFilters
  let prevKV: Bool
  let fragment: Bool
  let progressNotify: Bool
  /// The first revision this watcher has not been sent yet.
  var minRev: Int64
  var place: WatcherPlace = .unsynced
  /// A victim's undelivered response.
  var pending: WatchResponse?
  /// Whether something went to the client since the last progress check.
  var sentSinceProgressCheck = false

  init(serial: Int, id: Int64, stream: StreamRecord, request: WatchCreateRequest, minRev: Int64) {
    self.serial = serial
    self.id = id
    self.stream = stream
    self.range = request.range
    self.filters = request.filters
    self.prevKV = request.prevKV
    self.fragment = request.fragment
    self.progressNotify = request.progressNotify
    self.minRev = minRev
  }

  /// A response carrying `events` (already matched to this watcher), with the filters applied; nil when nothing is
  /// left to send.
  func eventResponse(_ events: [Event], revision: Int64) -> WatchResponse? {
    let kept = filters.isEmpty ? events : events.filter { !filters.drops($0) }
    guard !kept.isEmpty else { return nil }
    var response = WatchResponse(watchID: id, events: kept, revision: revision)
    response.wantsPrevKV = prevKV
    response.fragmentable = fragment
    return response
  }
}
