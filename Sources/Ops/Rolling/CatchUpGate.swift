import EtcdClient
import Foundation

/// Decides when a restarted member has caught up: it answers a linearizable read (healthy) and has applied
/// everything the leader had committed when the member first answered. The target is fixed at that moment, so a
/// continuous write load (which keeps moving the leader's index) cannot hold the gate shut forever.
public struct CatchUp: Sendable {
  /// The leader's raft index the member must reach; set by the first healthy observation.
  public private(set) var target: UInt64?
  /// The member's progress at the last observation.
  public private(set) var reached: UInt64 = 0

  public init() {}

  /// The index a member has applied (etcd 3.4 reports it; servers that do not are judged by their commit index).
  public static func progress(of status: EndpointStatus) -> UInt64 {
    status.raftAppliedIndex > 0 ? status.raftAppliedIndex : status.raftIndex
  }

  /// Feeds one observation; returns true once the member is healthy and caught up.
  public mutating func observe(healthy: Bool, member: EndpointStatus?, leader: EndpointStatus?) -> Bool {
    guard healthy, let member, let leader else { return false }
    if target == nil { target = leader.raftIndex }
    reached = Self.progress(of: member)
    return reached >= target!
  }
}

/// The waits between the steps of a rolling change.
struct RollingGate: Sendable {
  let probe: ClusterProbe
  /// Every inventory host that is a member (the endpoints asked).
  let hosts: [HostSpec]

  /// Polls until every member is healthy, or `timeout` passes.
  /// - Returns: nil when healthy, else why not (one clause per member that is not).
  func waitForHealthyCluster(timeout: Duration) async -> String? {
    let health = await probe.waitUntilHealthy(hosts: hosts, timeout: timeout)
    guard !health.isEmpty else { return "cannot build a client for the inventory's endpoints" }
    let bad = zip(hosts, health).filter { !$0.1.isHealthy }
    if bad.isEmpty { return nil }
    return bad.map { "\($0.0.name) is not healthy (\(ClusterProbe.short($0.1.error ?? "no answer")))" }.joined(separator: "; ")
  }

  /// Polls the cluster (membership, status and health of every member) until every member is healthy and one
  /// leads, or `timeout` passes.
  /// - Returns: that view, to decide the next step from; else why not (one clause per member that is not healthy).
  func waitForHealthyView(timeout: Duration) async -> Result<ClusterView, RollingGateFailure> {
    let deadline = ContinuousClock.now + timeout
    var problem = "no member answers"
    while true {
      do throws(OpsError) {
        let view = try await ClusterView.observe(probe.inventory, probe: probe, settle: .zero)
        if view.allHealthy, view.leader != nil { return .success(view) }
        let unhealthy = view.entries.filter { !$0.isHealthy }
        problem = unhealthy.isEmpty ? "no member reports itself leader"
          : unhealthy.map { "\($0.displayName) is not healthy (\(ClusterProbe.short($0.health?.error ?? "no answer")))" }.joined(separator: "; ")
      } catch {
        problem = error.description
      }
      if ContinuousClock.now >= deadline { return .failure(.init(reason: problem)) }
      try? await Task.sleep(for: .milliseconds(500))
    }
  }

  /// Polls until `host` is healthy and caught up with the leader (see `CatchUp`), or `timeout` passes.
  /// - Returns: the index reached and the leader's target on success; why not otherwise.
  func waitUntilCaughtUp(_ host: HostSpec, timeout: Duration) async -> Result<(reached: UInt64, target: UInt64), RollingGateFailure> {
    let deadline = ContinuousClock.now + timeout
    var catchUp = CatchUp()
    var lastProblem = "not answering"
    guard let position = hosts.firstIndex(where: { $0.name == host.name }) else {
      return .failure(.init(reason: "\(host.name) is not among the members"))
    }
    while true {
      if let client = try? probe.client(hosts: hosts, callTimeout: .seconds(3)) {
        async let statusList = client.statusOfAll()
        async let health = client.connections[position].health()
        let (statuses, memberHealth) = await (statusList, health)
        await client.close()
        let member: EndpointStatus? = if case .success(let status) = statuses[position] { status } else { nil }
        let leader = statuses.compactMap { result -> EndpointStatus? in
          if case .success(let status) = result, status.isLeader { return status }
          return nil
        }.first
        if catchUp.observe(healthy: memberHealth.isHealthy, member: member, leader: leader) {
          return .success((catchUp.reached, catchUp.target ?? 0))
        }
        if !memberHealth.isHealthy {
          lastProblem = "not healthy (\(ClusterProbe.short(memberHealth.error ?? "no answer")))"
        } else if leader == nil {
          lastProblem = "without a leader (no member reports itself leader)"
        } else {
          lastProblem = "behind: its raft index \(catchUp.reached) has not reached the leader's \(catchUp.target ?? 0)"
        }
      }
      if ContinuousClock.now >= deadline {
        return .failure(.init(reason: "after \(timeout.components.seconds) s it is still \(lastProblem)"))
      }
      try? await Task.sleep(for: .milliseconds(300))
    }
  }

  /// Polls until some member other than `formerLeader` reports itself leader, or `timeout` passes.
  func waitForNewLeader(other formerLeader: UInt64, timeout: Duration) async -> EndpointStatus? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if let client = try? probe.client(hosts: hosts, callTimeout: .seconds(3)) {
        let leader = await client.leader()
        await client.close()
        if let leader, leader.memberID != formerLeader { return leader }
      }
      try? await Task.sleep(for: .milliseconds(200))
    }
    return nil
  }
}

/// Why a gate did not open.
struct RollingGateFailure: Error, Sendable {
  var reason: String
}
