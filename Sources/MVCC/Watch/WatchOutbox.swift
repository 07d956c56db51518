// A stream's bounded queue of responses between the hub (producer, never waits) and the API adapter (one consumer,
// may wait). Control responses (created, canceled) are always accepted; event and progress responses only while
// the queue holds fewer than `capacity`.
import Synchronization

/// The bounded outbound queue of one watch stream.
final class WatchOutbox: Sendable {
  private struct State {
    var items: [WatchResponse] = []
    var head = 0
    /// Fragments of a split response, handed out before anything else.
    var fragments: [WatchResponse] = []
    var waiter: CheckedContinuation<Void, Never>?
    var closed = false

    var count: Int { items.count - head }
  }

  /// Event and progress responses are refused once this many responses wait.
  let capacity: Int
  private let state = Mutex(State())
  /// Set by the hub while a watcher of this stream is a victim, so the consumer can ask for a retry once it has
  /// made room instead of waiting for the next round.
  let victimsWaiting = Atomic<Bool>(false)

  init(capacity: Int) {
    self.capacity = capacity
  }

  /// Queues `response`; returns false (and queues nothing) when the queue is full and `force` is false, or when the
  /// stream is closed.
  func offer(_ response: WatchResponse, force: Bool = false) -> Bool {
    let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
      guard !s.closed, force || s.count < capacity else { return (false, nil) }
      s.items.append(response)
      let w = s.waiter
      s.waiter = nil
      return (true, w)
    }
    waiter?.resume()
    return accepted
  }

  /// The next response, nil when none waits.
  func take() -> WatchResponse? {
    state.withLock { s in
      if !s.fragments.isEmpty { return s.fragments.removeFirst() }
      guard s.head < s.items.count else { return nil }
      let response = s.items[s.head]
      s.head += 1
      if s.head == s.items.count {
        s.items.removeAll(keepingCapacity: true)
        s.head = 0
      } else if s.head >= 1024 && s.head * 2 >= s.items.count {
        s.items.removeFirst(s.head)
        s.head = 0
      }
      return response
    }
  }

  /// Puts the rest of a split response in front of the queue.
  func pushFragments(_ rest: ArraySlice<WatchResponse>) {
    state.withLock { $0.fragments.insert(contentsOf: rest, at: 0) }
  }

  /// Responses waiting (fragments not counted).
  var count: Int { state.withLock { $0.count } }

  var isClosedAndEmpty: Bool { state.withLock { $0.closed && $0.count == 0 && $0.fragments.isEmpty } }

  /// Returns once a response waits, the outbox is closed, or the task is canceled.
  func waitForResponse() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { s -> Bool in
          if s.count > 0 || !s.fragments.isEmpty || s.closed || Task.isCancelled { return true }
          s.waiter = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
        let w = s.waiter
        s.waiter = nil
        return w
      }
      waiter?.resume()
    }
  }

  /// Refuses further responses and wakes the consumer; responses already queued can still be taken.
  func close() {
    let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
      s.closed = true
      let w = s.waiter
      s.waiter = nil
      return w
    }
    waiter?.resume()
  }
}
