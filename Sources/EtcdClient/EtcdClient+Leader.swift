import Foundation

/// Finding the leader among the endpoints, and handing leadership over.
extension EtcdClient {
  /// The status of the endpoint whose member reports itself leader, or nil when no reachable endpoint does
  /// (no leader right now, or the leader is not among this client's endpoints).
  public func leader() async -> EndpointStatus? {
    for case .success(let status) in await statusOfAll() where status.isLeader { return status }
    return nil
  }

  /// Hands leadership to the voter `id`, as `etcdctl move-leader` does: the call goes to the endpoint that
  /// reports itself leader, then (if that fails as unreachable or "not leader") to the others in order.
  /// Returns once the transfer is done; otherwise throws the failure (every endpoint's, when all failed).
  public func moveLeader(to id: UInt64) async throws(EtcdClientError) {
    let statuses = await statusOfAll()
    let leads = statuses.map { if case .success(let status) = $0 { status.isLeader } else { false } }
    let order = zip(connections, leads).filter(\.1).map(\.0) + zip(connections, leads).filter { !$0.1 }.map(\.0)
    try await inTurn(order, movingOnWhen: { $0.isNotLeader || $0.isRetryableElsewhere }) { connection async throws(EtcdClientError) in
      try await connection.moveLeader(to: id)
    }
  }
}
