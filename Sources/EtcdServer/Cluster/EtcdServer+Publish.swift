// A started member publishes its name and client URLs through Raft (etcd's publish), so every member lists it as
// started; it retries until the change is applied (no leader yet, a timeout) or the member stops.

import EtcdProto

extension EtcdServer {
  /// Returns once this member's name and client URLs are in the applied membership (or it stopped trying): etcd
  /// serves clients only from then on, so a member that answers is listed as started everywhere.
  public func waitUntilPublished() async {
    await publisher.withLock { $0 }?.value
  }

  /// Proposes this member's attributes until the membership holds them.
  func publishAttributes() async {
    var attributes = Etcdserverpb_Member()
    attributes.id = memberID
    attributes.name = settings.name
    attributes.clientUrls = settings.advertiseClientURLs
    while !Task.isCancelled {
      if let current = membership.member(memberID), current.name == settings.name,
        current.clientURLs == settings.advertiseClientURLs
      {
        return
      }
      if membership.isRemoved(memberID) || loop.current.failure != nil { return }
      if hasLeader && membership.member(memberID) != nil {
        do {
          _ = try await propose(.memberAttributes(attributes), as: nil)
          log.info("published local member to cluster through raft", [
            "local-member-id": String(memberID, radix: 16), "local-member-attributes":
              "{Name:\(settings.name) ClientURLs:[\(settings.advertiseClientURLs.joined(separator: " "))]}",
            "cluster-id": String(clusterID, radix: 16),
          ])
          continue
        } catch {
          if case .stopped = error { return }
          log.warn("failed to publish local member to cluster through raft", ["error": error.description])
        }
      }
      try? await Task.sleep(for: .milliseconds(100))
    }
  }
}
