// One client's watch stream (one gRPC Watch call): requests go in through create/cancel/requestProgress, responses
// come out in order through `next()` (or the stream as an AsyncSequence), with prev_kv filled in and large responses
// split into fragments for watchers that allow it.

/// A watch stream for the API adapter. Requests may come from any task; responses have one consumer.
public final class WatchStream: Sendable, AsyncSequence {
  public typealias Element = WatchResponse

  /// The stream's number in its hub.
  public let id: Int
  private let hub: WatchHub
  private let outbox: WatchOutbox
  private let maxResponseBytes: Int
  private let headerBytes: Int

  init(hub: WatchHub, id: Int, outbox: WatchOutbox, maxResponseBytes: Int, headerBytes: Int) {
    self.hub = hub
    self.id = id
    self.outbox = outbox
    self.maxResponseBytes = maxResponseBytes
    self.headerBytes = headerBytes
  }

  deinit { hub.close(stream: id) }

  /// Creates a watcher. The response (created, or created and canceled with etcd's reason when the range is empty,
  /// the watch ID negative or already in use) is queued before any event of the watcher.
  public func create(_ request: WatchCreateRequest) {
    hub.create(request, onStream: id)
  }

  /// Cancels a watcher; a canceled response follows when it existed (etcd sends nothing for an unknown ID).
  public func cancel(watchID: Int64) {
    hub.cancel(watchID: watchID, onStream: id)
  }

  /// Asks for a progress response (watch ID -1, the current revision), sent once every watcher of the stream has
  /// caught up.
  public func requestProgress() {
    hub.requestProgress(onStream: id)
  }

  /// Ends the stream: cancels its watchers; responses already queued can still be read, then `next()` returns nil.
  public func close() {
    hub.close(stream: id)
  }

  /// Responses waiting to be read (fragments of a split response not counted).
  public var bufferedCount: Int { outbox.count }

  /// The next response if one waits, without waiting.
  public func poll() -> WatchResponse? {
    guard var response = outbox.take() else { return nil }
    if outbox.victimsWaiting.load(ordering: .acquiring) && outbox.count <= outbox.capacity / 2 {
      hub.retryVictims(onStream: id)
    }
    if response.wantsPrevKV { fillPrevKV(&response) }
    response.wantsPrevKV = false
    guard response.fragmentable else { return response }
    response.fragmentable = false
    let pieces = response.fragments(limit: maxResponseBytes, headerBytes: headerBytes)
    if pieces.count > 1 { outbox.pushFragments(pieces.dropFirst()) }
    return pieces[0]
  }

  /// The next response, waiting for one; nil once the stream is closed and drained, or the task is canceled.
  public func next() async -> WatchResponse? {
    while true {
      if let response = poll() { return response }
      if outbox.isClosedAndEmpty || Task.isCancelled { return nil }
      await outbox.waitForResponse()
    }
  }

  /// Iterates the responses (one consumer).
  public struct AsyncIterator: AsyncIteratorProtocol {
    let stream: WatchStream
    public mutating func next() async -> WatchResponse? { await stream.next() }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }

  /// etcd fills prev_kv when sending: the key's value just before the event, for every event but a creation.
  private func fillPrevKV(_ response: inout WatchResponse) {
    for index in response.events.indices {
      let event = response.events[index]
      guard event.prevKV == nil else { continue }
      if event.kind == .put && event.kv.createRevision == event.kv.modRevision { continue }
      response.events[index].prevKV = try? hub.source.value(of: event.kv.key, atRevision: event.kv.modRevision - 1)
    }
  }
}
