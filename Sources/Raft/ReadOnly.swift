// Pending ReadIndex requests waiting for a quorum of heartbeat acknowledgements (safe reads, §6.4 of the thesis).

/// A ReadIndex request waiting for its heartbeat round.
struct ReadIndexStatus: Sendable {
  var request: Message
  var index: LogIndex
  var acks: Set<NodeID>
}

/// The leader's queue of safe ReadIndex requests.
struct ReadOnly: Sendable {
  let option: ReadOnlyOption
  var pending: [[UInt8]: ReadIndexStatus] = [:]
  var queue: [[UInt8]] = []

  init(option: ReadOnlyOption) { self.option = option }

  /// Queues a request (its context is `request.entries[0].data`) confirmed at `index`.
  mutating func addRequest(index: LogIndex, request: Message) {
    let ctx = request.entries.first?.data ?? []
    if pending[ctx] != nil { return }
    pending[ctx] = ReadIndexStatus(request: request, index: index, acks: [])
    queue.append(ctx)
  }

  /// Records a heartbeat acknowledgement for `context`; returns the acks so far (nil if unknown).
  mutating func recvAck(from id: NodeID, context: [UInt8]) -> Set<NodeID>? {
    guard pending[context] != nil else { return nil }
    pending[context]!.acks.insert(id)
    return pending[context]!.acks
  }

  /// Dequeues every request up to and including `context` (earlier ones are confirmed by the same round).
  mutating func advance(context: [UInt8]) -> [ReadIndexStatus] {
    guard let position = queue.firstIndex(of: context) else { return [] }
    var result: [ReadIndexStatus] = []
    for ctx in queue[...position] {
      if let status = pending.removeValue(forKey: ctx) { result.append(status) }
    }
    queue.removeFirst(position + 1)
    return result
  }

  var lastPendingRequestContext: [UInt8] { queue.last ?? [] }
}
