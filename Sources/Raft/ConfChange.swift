// A single-step membership change and its byte encoding (the data of a `.confChange` entry).

/// The kind of a single-step membership change.
public enum ConfChangeType: Sendable, Hashable {
  /// Adds a voter; on an existing learner this promotes it.
  case addVoter
  /// Adds a learner; on an existing voter this demotes it.
  case addLearner
  /// Removes a voter or learner.
  case removeNode
}

/// A membership change, carried as the data of a `.confChange` log entry and applied with
/// ``RawNode/applyConfChange(_:)`` once that entry is committed.
public struct ConfChange: Sendable, Hashable {
  /// What to do.
  public var type: ConfChangeType
  /// The member concerned.
  public var nodeID: NodeID
  /// Opaque application context (for example the new member's peer URLs).
  public var context: [UInt8]

  /// Creates a conf change.
  public init(type: ConfChangeType, nodeID: NodeID, context: [UInt8] = []) {
    self.type = type
    self.nodeID = nodeID
    self.context = context
  }

  /// Encodes as: one type byte (0 addVoter, 1 addLearner, 2 removeNode), the node ID as 8 bytes big-endian,
  /// then the context bytes.
  public func encoded() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(9 + context.count)
    switch type {
    case .addVoter: out.append(0)
    case .addLearner: out.append(1)
    case .removeNode: out.append(2)
    }
    for shift in stride(from: 56, through: 0, by: -8) {
      out.append(UInt8(truncatingIfNeeded: nodeID >> UInt64(shift)))
    }
    out.append(contentsOf: context)
    return out
  }

  /// Decodes bytes produced by ``encoded()``; nil when they are too short or the type byte is unknown.
  public init?(decoding bytes: [UInt8]) {
    guard bytes.count >= 9 else { return nil }
    switch bytes[0] {
    case 0: type = .addVoter
    case 1: type = .addLearner
    case 2: type = .removeNode
    default: return nil
    }
    var id: UInt64 = 0
    for i in 1...8 { id = (id << 8) | UInt64(bytes[i]) }
    nodeID = id
    context = Array(bytes[9...])
  }
}

extension ConfState {
  /// The configuration after `change` (an addVoter promotes a learner, an addLearner demotes a voter).
  public func applying(_ change: ConfChange) -> ConfState {
    var cs = self
    switch change.type {
    case .addVoter:
      cs.learners.remove(change.nodeID)
      cs.voters.insert(change.nodeID)
    case .addLearner:
      cs.voters.remove(change.nodeID)
      cs.learners.insert(change.nodeID)
    case .removeNode:
      cs.voters.remove(change.nodeID)
      cs.learners.remove(change.nodeID)
    }
    return cs
  }
}
