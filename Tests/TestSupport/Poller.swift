import Foundation

/// Samples something on a detached task every `interval` and folds each sample into a state, until `stop()`:
/// a watcher that runs beside an operation under test (health counts, membership roles, server PIDs). Dropping
/// the poller without stopping it cancels the task.
public final class Poller<State: Sendable>: @unchecked Sendable {
  private let box: Box
  private let task: Task<Void, Never>

  /// Starts polling: `sample` returns nil when there is nothing to record this time.
  public init<Sample: Sendable>(
    _ initial: State, every interval: Duration, sample: @escaping @Sendable () async -> Sample?,
    record: @escaping @Sendable (inout State, Sample) -> Void
  ) {
    let box = Box(initial)
    self.box = box
    task = Task.detached {
      while !Task.isCancelled {
        if let value = await sample() { box.update { record(&$0, value) } }
        try? await Task.sleep(for: interval)
      }
    }
  }

  deinit { task.cancel() }

  /// The state so far (polling goes on).
  public var current: State { box.value }

  /// Stops polling, waits for the last sample to be recorded, returns the state.
  public func stop() async -> State {
    task.cancel()
    await task.value
    return box.value
  }

  private final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State
    init(_ state: State) { self.state = state }
    var value: State { lock.withLock { state } }
    func update(_ body: (inout State) -> Void) { lock.withLock { body(&state) } }
  }
}
