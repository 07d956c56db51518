import EtcdClient
import Foundation

/// Moves leadership away from a member before it goes down, so the cluster holds one quick, planned election
/// instead of waiting out an election timeout.
public enum LeaderHandoff {
  /// The healthy voter (other than the leader) to hand leadership to: one already done if any (so the new leader
  /// already runs the new build), then the one with the highest raft index (least to catch up). Nil when there is
  /// no other healthy voter.
  public static func successor(in view: ClusterView, leaderID: UInt64, preferring done: Set<String>) -> ClusterView.Entry? {
    let candidates = view.voters.filter { $0.member.id != leaderID && $0.isHealthy && $0.status != nil }
    return candidates.max { lhs, rhs in
      let lhsDone = done.contains(lhs.host?.name ?? lhs.displayName)
      let rhsDone = done.contains(rhs.host?.name ?? rhs.displayName)
      if lhsDone != rhsDone { return !lhsDone }
      return (lhs.status?.raftIndex ?? 0) < (rhs.status?.raftIndex ?? 0)
    }
  }

  /// If `name` leads the cluster of `view`, hands leadership to a successor and waits until another member
  /// leads. Does nothing for a follower or a single-voter cluster.
  /// - Returns: what was done, for the log ("moved leadership from host2 to host1"), or nil.
  static func ensureNotLeader(
    _ name: String, view: ClusterView, done: Set<String>, probe: ClusterProbe, gate: RollingGate
  ) async throws(RollingGateFailure) -> String? {
    guard let leader = view.leader, leader.host?.name == name || leader.displayName == name else { return nil }
    guard view.voters.count > 1 else { return nil }
    guard let successor = successor(in: view, leaderID: leader.member.id, preferring: done) else {
      throw RollingGateFailure(reason: "\(name) leads and no other voter is healthy to take over")
    }
    do throws(EtcdClientError) {
      let client = try probe.client(hosts: gate.hosts, callTimeout: .seconds(10))
      do throws(EtcdClientError) {
        try await client.moveLeader(to: successor.member.id)
        await client.close()
      } catch {
        await client.close()
        throw error
      }
    } catch {
      throw RollingGateFailure(reason: "moving leadership from \(name) to \(successor.displayName) failed: \(error.description)")
    }
    guard let now = await gate.waitForNewLeader(other: leader.member.id, timeout: .seconds(15)) else {
      throw RollingGateFailure(reason: "moved leadership away from \(name), but no other member reported itself leader within 15 s")
    }
    let newName = view.entries.first { $0.member.id == now.memberID }?.displayName ?? etcdIDString(now.memberID)
    return "moved leadership from \(name) to \(newName)"
  }
}
