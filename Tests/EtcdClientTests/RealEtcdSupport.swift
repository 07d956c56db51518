import EtcdClient
import Foundation
import TestSupport

/// Runs `body` against a fresh real etcd cluster and a client of all its members; stops both afterwards, also
/// when `body` throws.
func withRealCluster<T>(
  count: Int = 3, _ body: (RealEtcdCluster, EtcdClient) async throws -> T
) async throws -> T {
  let cluster = try await RealEtcdCluster.start(count: count)
  let client: EtcdClient
  do {
    client = try EtcdClient(endpoints: cluster.clientURLs)
  } catch {
    await cluster.stopped()
    throw error
  }
  do {
    let result = try await body(cluster, client)
    await client.close()
    await cluster.stopped()
    return result
  } catch {
    await client.close()
    await cluster.stopped()
    throw error
  }
}

/// Runs a membership change, retrying every 500 ms for up to `seconds` while etcd refuses it with "etcdserver:
/// unhealthy cluster" (strict reconfig check: the members must have been connected for 5 s, not so right after start).
func whenReconfigurable<T>(within seconds: Int = 20, _ body: () async throws -> T) async throws -> T {
  let deadline = ContinuousClock.now + .seconds(seconds)
  while true {
    do {
      return try await body()
    } catch let error as EtcdClientError {
      if !error.isUnhealthyCluster || ContinuousClock.now >= deadline { throw error }
    }
    try await Task.sleep(for: .milliseconds(500))
  }
}

extension EtcdClient {
  /// The connection to the member with this ID (found through Status), if any endpoint reports it.
  func connection(toMember id: UInt64) async -> EtcdConnection? {
    let statuses = await statusOfAll()
    for (connection, result) in zip(connections, statuses) {
      if case .success(let status) = result, status.memberID == id { return connection }
    }
    return nil
  }
}
