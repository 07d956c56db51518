/// A client for a whole cluster: one connection per endpoint, cluster-wide calls that fail over between
/// endpoints, and per-endpoint calls made in parallel (status and health of every member).
public final class EtcdClient: Sendable {
  public let connections: [EtcdConnection]

  /// - Parameter endpoints: etcdctl-style endpoints (`https://10.0.0.1:2379`, `127.0.0.1:2379`, ...).
  public init(endpoints: [String], tls: EtcdTLS? = nil, callTimeout: Duration = .seconds(5)) throws(EtcdClientError) {
    guard !endpoints.isEmpty else { throw .invalidEndpoint("", reason: "at least one endpoint is needed") }
    var connections: [EtcdConnection] = []
    for text in endpoints {
      connections.append(try EtcdConnection(endpoint: try EtcdEndpoint(parsing: text), tls: tls, callTimeout: callTimeout))
    }
    self.connections = connections
  }

  public func close() async {
    for connection in connections { await connection.close() }
  }

  /// Runs `body` with this client, then closes it whether `body` returned or threw.
  public func closing<T, E: Error>(_ body: (EtcdClient) async throws(E) -> T) async throws(E) -> T {
    do {
      let value = try await body(self)
      await close()
      return value
    } catch {
      await close()
      throw error
    }
  }

  /// Runs `body` against the endpoints in order until one answers; moves on only for failures another member
  /// might not have (unreachable, timed out, no leader).
  public func withAnyEndpoint<T: Sendable>(
    _ body: (EtcdConnection) async throws(EtcdClientError) -> T
  ) async throws(EtcdClientError) -> T {
    try await inTurn(connections, movingOnWhen: \.isRetryableElsewhere, body)
  }

  /// Runs `body` against `order` until one answers; moves on to the next only for failures `movesOn` accepts,
  /// and throws any other at once. When every connection failed: the one failure, or all of them.
  func inTurn<T: Sendable>(
    _ order: [EtcdConnection], movingOnWhen movesOn: (EtcdClientError) -> Bool,
    _ body: (EtcdConnection) async throws(EtcdClientError) -> T
  ) async throws(EtcdClientError) -> T {
    var failures: [EtcdClientError] = []
    for connection in order {
      do {
        return try await body(connection)
      } catch {
        guard movesOn(error) else { throw error }
        failures.append(error)
      }
    }
    throw failures.count == 1 ? failures[0] : .allEndpointsFailed(failures)
  }

  /// The membership, from the first endpoint that answers.
  public func memberList() async throws(EtcdClientError) -> MemberList {
    try await withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.memberList() }
  }

  /// Status of every endpoint, asked in parallel; in endpoint order.
  public func statusOfAll() async -> [Result<EndpointStatus, EtcdClientError>] {
    await forEachConnection { connection -> Result<EndpointStatus, EtcdClientError> in
      do throws(EtcdClientError) { return .success(try await connection.status()) } catch { return .failure(error) }
    }
  }

  /// Health of every endpoint, checked in parallel; in endpoint order.
  public func healthOfAll() async -> [EndpointHealth] {
    await forEachConnection { await $0.health() }
  }

  private func forEachConnection<T: Sendable>(_ body: @escaping @Sendable (EtcdConnection) async -> T) async -> [T] {
    await withTaskGroup(of: (Int, T).self) { group in
      for (index, connection) in connections.enumerated() {
        group.addTask { (index, await body(connection)) }
      }
      var results: [(Int, T)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
  }
}
