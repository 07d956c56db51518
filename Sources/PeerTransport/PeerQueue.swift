// The bounded outgoing queue of one peer: the Raft loop appends without blocking, the stream writer takes
// everything queued as one batch.
import Raft
import Synchronization

final class PeerQueue: Sendable {
  /// Where the link to the peer stands, as far as queueing goes.
  enum Phase: Sendable {
    /// Dialing or streaming: messages are queued.
    case open
    /// The last attempt failed: messages are dropped (the peer is unreachable) until the next attempt.
    case down
  }

  private struct State {
    var pending: [Message] = []
    var phase = Phase.open
    var waiter: CheckedContinuation<Void, Never>?
  }

  private let capacity: Int
  private let state = Mutex(State())

  init(capacity: Int) { self.capacity = capacity }

  /// Queues `messages`; returns false when some or all were dropped (queue full or peer down).
  func enqueue(_ messages: some Collection<Message>) -> Bool {
    let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
      guard state.phase == .open else { return (false, nil) }
      let room = capacity - state.pending.count
      let all = room >= messages.count
      if all { state.pending.append(contentsOf: messages) } else if room > 0 { state.pending.append(contentsOf: messages.prefix(room)) }
      defer { state.waiter = nil }
      return (all, state.waiter)
    }
    waiter?.resume()
    return accepted
  }

  /// Marks the peer down (dropping what is queued; returns whether anything was) or open again.
  @discardableResult
  func set(_ phase: Phase) -> Bool {
    state.withLock { state in
      state.phase = phase
      guard phase == .down, !state.pending.isEmpty else { return false }
      state.pending.removeAll(keepingCapacity: true)
      return true
    }
  }

  /// Waits for queued messages and takes them (up to about ``PeerWire/batchTargetBytes``). Throws
  /// `CancellationError` when the task is cancelled.
  func nextBatch() async throws -> [Message] {
    while true {
      try Task.checkCancellation()
      if let batch = take() { return batch }
      await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
          let resumeNow = state.withLock { state -> Bool in
            if !state.pending.isEmpty || Task.isCancelled { return true }
            state.waiter = continuation
            return false
          }
          if resumeNow { continuation.resume() }
        }
      } onCancel: {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
          defer { state.waiter = nil }
          return state.waiter
        }?.resume()
      }
    }
  }

  private func take() -> [Message]? {
    state.withLock { state -> [Message]? in
      guard !state.pending.isEmpty else { return nil }
      var size = 0
      var end = 0
      while end < state.pending.count && (end == 0 || size < PeerWire.batchTargetBytes) {
        size += MessageCodec.estimatedSize(state.pending[end])
        end += 1
      }
      if end == state.pending.count {
        let batch = state.pending
        state.pending = []
        return batch
      }
      let batch = Array(state.pending[..<end])
      state.pending.removeFirst(end)
      return batch
    }
  }
}
