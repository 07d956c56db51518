// The Cluster service's answers of a member. A one-member cluster lists itself; membership changes come with
// clustering (issue 8).

import EtcdProto

extension EtcdServer {
  /// Cluster.MemberList: this member, with a header that carries no revision (etcd's cluster answers fill only
  /// cluster_id, member_id and raft_term). etcd checks no permission here.
  public func memberList() -> Etcdserverpb_MemberListResponse {
    var member = Etcdserverpb_Member()
    member.id = memberID
    member.name = settings.name
    member.peerUrls = settings.advertisePeerURLs
    member.clientUrls = settings.advertiseClientURLs
    var response = Etcdserverpb_MemberListResponse()
    response.header = header(revision: 0)
    response.members = [member]
    return response
  }
}
