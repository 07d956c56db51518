import EtcdClient
import Foundation

/// The live cluster as its members report it: the membership, and each member's status and health, matched to
/// the inventory's hosts. Every day-2 command decides from one of these and shows it in its plan.
public struct ClusterView: Sendable {
  public struct Entry: Sendable {
    public var member: ClusterMember
    /// The inventory host of this member (by name, else by peer URL); nil for members the inventory lacks.
    public var host: HostSpec?
    public var endpoint: String?
    public var status: EndpointStatus?
    public var health: EndpointHealth?

    public var isHealthy: Bool { health?.isHealthy == true }
    public var displayName: String { member.name.isEmpty ? (host?.name ?? "(unstarted)") : member.name }
  }

  public var entries: [Entry]

  public init(entries: [Entry]) { self.entries = entries }

  public var voters: [Entry] { entries.filter { !$0.member.isLearner } }
  public var learners: [Entry] { entries.filter(\.member.isLearner) }
  public var quorum: QuorumMath { QuorumMath(voters: voters.count) }
  public var leader: Entry? { entries.first { $0.status?.isLeader == true } }
  public var healthyVoters: Int { voters.filter(\.isHealthy).count }
  public var allHealthy: Bool { entries.allSatisfy(\.isHealthy) }

  public func entry(for host: HostSpec, tls: Bool) -> Entry? {
    entries.first { $0.member.name == host.name } ?? entries.first { $0.member.peerURLs.contains(host.peerURL(tls: tls)) }
  }

  /// Observes the cluster through the inventory's endpoints (members outside the inventory through their
  /// advertised client URLs).
  /// - Throws: `OpsError.refused` when no endpoint answers with the membership.
  /// When no member reports a leader (an election after a member died takes a few seconds), it looks again, up to
  /// `settle` in all, so a plan is not made from the middle of an election.
  public static func observe(_ inventory: Inventory, probe: ClusterProbe? = nil, settle: Duration = .seconds(10)) async throws(OpsError) -> ClusterView {
    let deadline = ContinuousClock.now + settle
    while true {
      let view = try await observeOnce(inventory, probe: probe)
      if view.leader != nil || ContinuousClock.now >= deadline { return view }
      try? await Task.sleep(for: .seconds(1))
    }
  }

  private static func observeOnce(_ inventory: Inventory, probe: ClusterProbe?) async throws(OpsError) -> ClusterView {
    let probe = probe ?? ClusterProbe(inventory: inventory)
    let tls = inventory.cluster.tls
    let list: MemberList
    do throws(EtcdClientError) {
      list = try await probe.client().closing { client async throws(EtcdClientError) in try await client.memberList() }
    } catch {
      throw .refused(reason: "no member of cluster \(inventory.cluster.name) answers (\(error.description)); check `swetcd-ops status` and that the members run")
    }
    var entries = list.members.map { member -> Entry in
      let host = inventory.hosts.first { $0.name == member.name && !member.name.isEmpty }
        ?? inventory.hosts.first { member.peerURLs.contains($0.peerURL(tls: tls)) }
      return Entry(member: member, host: host, endpoint: host?.clientURL(tls: tls) ?? member.clientURLs.first)
    }
    let reachable = entries.indices.filter { entries[$0].endpoint != nil }
    if !reachable.isEmpty, let client = try? probe.client(endpoints: reachable.map { entries[$0].endpoint! }) {
      let (statusList, healthList) = await client.closing { client in
        async let statuses = client.statusOfAll()
        async let health = client.healthOfAll()
        return await (statuses, health)
      }
      for (position, index) in reachable.enumerated() {
        if case .success(let status) = statusList[position] { entries[index].status = status }
        entries[index].health = healthList[position]
      }
    }
    return ClusterView(entries: entries)
  }

  /// The table plans print: one row per member with its role, raft index and health, then the quorum line.
  public var table: String {
    var rows = [["MEMBER", "ID", "ROLE", "PEER URL", "RAFT INDEX", "HEALTH"]]
    for entry in entries {
      let role = entry.member.isLearner ? "learner" : (entry.status?.isLeader == true ? "leader" : "voter")
      rows.append([entry.displayName, etcdIDString(entry.member.id), role, entry.member.peerURLs.first ?? "-",
                   entry.status.map { String($0.raftIndex) } ?? "-",
                   entry.isHealthy ? "healthy" : "UNHEALTHY\(entry.health?.error.map { ": " + ClusterProbe.short($0) } ?? "")"])
    }
    return (TextTable.render(rows) + ["\(quorum.description); \(healthyVoters) voter(s) healthy"]).joined(separator: "\n")
  }
}
