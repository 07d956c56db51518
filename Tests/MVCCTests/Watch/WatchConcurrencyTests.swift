import Foundation
import MVCC
import Synchronization
import Testing
import TestSupport

/// A writer thread, a catch-up thread and an async consumer at once, with a tiny buffer so the watcher keeps
/// falling behind: every event arrives once, in order, and the consumer's waits always end.
@Suite struct WatchConcurrencyTests {
  private final class StopFlag: Sendable {
    let stopped = Atomic<Bool>(false)
  }

  @Test func writerCatchUpAndAsyncConsumerTogetherDeliverEveryEventOnceInOrder() async throws {
    let (history, hub) = try makeHub(WatchHub.Configuration(maxRevisionsPerRound: 64))
    defer { history.remove() }
    let stream = hub.openStream(bufferCapacity: 4)
    stream.create(WatchCreateRequest(range: .prefix(b("k"))))
    _ = stream.poll()
    let writes = 5_000
    let stop = StopFlag()
    async let writer: Void = offPool {
      for index in 0..<writes { history.put("k\(index % 10)", "v\(index)") }
    }
    async let syncer: Int = offPool {
      var rounds = 0
      while !stop.stopped.load(ordering: .acquiring) {
        hub.syncRound()
        rounds += 1
        usleep(200)
      }
      return rounds
    }
    var revisions: [Int64] = []
    while revisions.count < writes, let response = await stream.next() {
      revisions += response.events.map(\.kv.modRevision)
    }
    stop.stopped.store(true, ordering: .releasing)
    try await writer
    _ = try await syncer
    #expect(revisions == Array(2...Int64(writes + 1)))
    stream.close()
    #expect(await stream.next() == nil)
  }
}
