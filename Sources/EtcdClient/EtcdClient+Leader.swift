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
  /// Returns once the transfer is done; the error of the last endpoint tried otherwise.
  public func moveLeader(to id: UInt64) async throws(EtcdClientError) {
    let statuses = await statusOfAll()
    let isLeader = statuses.map { if case .success(let status) = $0 { status.isLeader } else { false } }
    let order = connections.indices.filter { isLeader[$0] } + connections.indices.filter { !isLeader[$0] }
    var failures: [EtcdClientError] = []
    for index in order {
      do {
        try await connections[index].moveLeader(to: id)
        return
      } catch {
        guard error.isNotLeader || error.isRetryableElsewhere else { throw error }
        failures.append(error)
      }
    }
    throw failures.count == 1 ? failures[0] : .allEndpointsFailed(failures)
  }
}
