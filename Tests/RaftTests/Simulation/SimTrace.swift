// A bounded record of the last simulation events, printed with a failing seed.
import Raft

/// The last `capacity` events of a run, kept cheaply (formatted only when a seed fails).
struct SimTrace {
  struct Event {
    var time: Int
    var what: Kind
  }

  enum Kind {
    case note(String)
    case deliver(Message)
    case drop(Message, reason: String)
    case roleChange(NodeID, Role, term: Term, leader: NodeID)
  }

  private var ring: [Event] = []
  private var next = 0
  let capacity: Int

  init(capacity: Int = 80) {
    self.capacity = capacity
    ring.reserveCapacity(capacity)
  }

  mutating func record(_ time: Int, _ what: Kind) {
    switch what {
    case .deliver(let m), .drop(let m, _):
      // Heartbeats are most of the traffic and rarely the story; leave them out of the tail.
      if m.type == .heartbeat || m.type == .heartbeatResponse { return }
    default: break
    }
    let event = Event(time: time, what: what)
    if ring.count < capacity {
      ring.append(event)
    } else {
      ring[next] = event
      next = (next + 1) % capacity
    }
  }

  /// The recorded events, oldest first, one line each.
  func tail(_ count: Int) -> [String] {
    let ordered = Array(ring[next...] + ring[..<next])
    return ordered.suffix(count).map { "  t=\($0.time) " + Self.describe($0.what) }
  }

  static func describe(_ kind: Kind) -> String {
    switch kind {
    case .note(let text): return text
    case .deliver(let m): return "deliver " + describe(m)
    case .drop(let m, let reason): return "drop(\(reason)) " + describe(m)
    case .roleChange(let id, let role, let term, let leader):
      return "n\(id) is \(role) term=\(term) leader=\(leader)"
    }
  }

  static func describe(_ m: Message) -> String {
    var text = "\(m.type) \(m.from)->\(m.to) term=\(m.term)"
    switch m.type {
    case .append:
      text += " idx=\(m.index) logTerm=\(m.logTerm) commit=\(m.commit)"
      if let first = m.entries.first, let last = m.entries.last {
        text += " entries=[\(first.index)..\(last.index)]"
      }
    case .appendResponse:
      text += " idx=\(m.index)" + (m.reject ? " reject hint=\(m.rejectHint) logTerm=\(m.logTerm)" : "")
    case .vote, .preVote: text += " lastIdx=\(m.index) lastTerm=\(m.logTerm)"
    case .voteResponse, .preVoteResponse: text += m.reject ? " rejected" : " granted"
    case .heartbeat: text += " commit=\(m.commit)"
    case .snapshot:
      if let s = m.snapshot { text += " snap=\(s.metadata.index)@\(s.metadata.term)" }
    case .readIndexResponse: text += " idx=\(m.index)"
    default: break
    }
    return text
  }
}
