// Drives the watch hub on a thread of its own: catch-up rounds for lagging watchers (etcd: every 100 ms, and again at
// once while work remains, 10 ms apart) and the progress-notification clock.

import Foundation
import MVCC
import Synchronization

/// Runs `WatchHub.syncRound()` and `tick(now:)` until stopped.
final class WatchDriver: Sendable {
  private let hub: WatchHub
  private let clock: MonotonicClock
  private let stopped = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)

  init(hub: WatchHub, clock: MonotonicClock) {
    self.hub = hub
    self.clock = clock
  }

  func start() {
    let thread = Thread { [self] in
      defer { finished.signal() }
      while !stopped.load(ordering: .relaxed) {
        let more = hub.syncRound()
        hub.tick(now: clock.now())
        Thread.sleep(forTimeInterval: more ? 0.01 : 0.1)
      }
    }
    thread.name = "watch-sync"
    thread.start()
  }

  func stop() {
    guard !stopped.exchange(true, ordering: .relaxed) else { return }
    finished.wait()
  }
}
