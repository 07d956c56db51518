// One member of a cluster as etcd's membership store keeps it: ID, Raft attributes (peer URLs, learner flag) and the
// attributes a member publishes once it runs (name, client URLs). A member with no name has not started yet.

import EtcdProto
import Foundation

/// A member of the cluster.
public struct ClusterMember: Sendable, Hashable, Codable {
  /// The member ID (etcd's rules: `MemberIdentity`).
  public var id: UInt64
  /// --name, as published by the member (empty until it has started).
  public var name: String
  /// The URLs its peers reach it on.
  public var peerURLs: [String]
  /// --advertise-client-urls, as published by the member.
  public var clientURLs: [String]
  /// Whether it is a learner (receives the log, does not vote).
  public var isLearner: Bool

  /// Creates a member.
  public init(id: UInt64, name: String = "", peerURLs: [String], clientURLs: [String] = [], isLearner: Bool = false) {
    self.id = id
    self.name = name
    self.peerURLs = peerURLs.sorted()
    self.clientURLs = clientURLs
    self.isLearner = isLearner
  }

  /// etcd's IsStarted: the member has published its name.
  public var isStarted: Bool { !name.isEmpty }

  /// The member as etcd's Cluster API lists it.
  public var proto: Etcdserverpb_Member {
    var member = Etcdserverpb_Member()
    member.id = id
    member.name = name
    member.peerUrls = peerURLs
    member.clientUrls = clientURLs
    member.isLearner = isLearner
    return member
  }

  /// The JSON stored in the backend and carried in conf-change entries.
  func encoded() -> [UInt8] {
    (try? Array(JSONEncoder.sorted.encode(self))) ?? []
  }

  /// Decodes `encoded()`'s bytes; nil when they are not a member.
  init?(decoding bytes: some Collection<UInt8>) {
    guard let member = try? JSONDecoder().decode(ClusterMember.self, from: Data(bytes)) else { return nil }
    self = member
  }
}

extension JSONEncoder {
  /// An encoder with sorted keys (stable bytes for the same value).
  static var sorted: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
  }
}
