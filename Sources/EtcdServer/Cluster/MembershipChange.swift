// A membership change as it travels through the Raft log. Adds, removals and promotions are Raft conf changes (the
// context carries the proposer's request ID and the member's JSON, as etcd carries the member in ConfChange.Context);
// peer-URL updates and the attributes a member publishes when it starts are normal entries (etcd 3.4 proposes
// them through Raft too), because they change no vote.

import Foundation
import Raft

/// One change of the cluster's membership.
public enum MembershipChange: Sendable, Equatable {
  /// A new voter or learner (`member.isLearner`).
  case add(ClusterMember)
  /// A member leaves for good (its ID can never come back).
  case remove(UInt64)
  /// A learner becomes a voter.
  case promote(UInt64)
  /// A member's peer URLs change.
  case updatePeerURLs(id: UInt64, peerURLs: [String])
  /// A running member publishes its name and client URLs.
  case publish(id: UInt64, name: String, clientURLs: [String])

  /// The Raft conf change for adds, removals and promotions, carrying `requestID` and the member (nil for the
  /// changes that travel as normal entries).
  func confChange(requestID: UInt64, promoted: ClusterMember? = nil) -> ConfChange? {
    var context = requestID.bigEndianBytes
    switch self {
    case .add(let member):
      context += member.encoded()
      return ConfChange(type: member.isLearner ? .addLearner : .addVoter, nodeID: member.id, context: context)
    case .remove(let id):
      return ConfChange(type: .removeNode, nodeID: id, context: context)
    case .promote(let id):
      if let promoted { context += promoted.encoded() }
      return ConfChange(type: .addVoter, nodeID: id, context: context)
    case .updatePeerURLs, .publish:
      return nil
    }
  }

  /// Reads a committed conf change back: the proposer's request ID (0 for the member's own) and the change. An
  /// addVoter of a member the membership has (or had) is a promotion (refused by the membership unless it is a
  /// learner); an addVoter without a member is Raft's alone (--force-new-cluster), nil here.
  static func decode(_ change: ConfChange, in membership: Membership) -> (requestID: UInt64, change: MembershipChange)? {
    guard change.context.count >= 8 else { return nil }
    let requestID = UInt64(bigEndianBytes: change.context.prefix(8))
    let body = change.context.dropFirst(8)
    switch change.type {
    case .removeNode:
      return (requestID, .remove(change.nodeID))
    case .addVoter where membership.member(change.nodeID) != nil || membership.isRemoved(change.nodeID):
      return (requestID, .promote(change.nodeID))
    case .addVoter, .addLearner:
      guard var member = ClusterMember(decoding: body), member.id == change.nodeID else { return nil }
      member.isLearner = change.type == .addLearner
      return (requestID, .add(member))
    }
  }
}
