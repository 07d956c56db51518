import EtcdClient
import Foundation

extension MemberAdder {
  /// Joins one host, resuming where an earlier run stopped (a learner already added, or started); `view` is the
  /// cluster as it is now.
  func join(_ host: HostSpec, view: ClusterView, connected: ConnectedMembers) async throws(OpsError) {
    let others = view.entries.filter { $0.host?.name != host.name }
    try await steps.client(endpoints: others.compactMap(\.endpoint)).closing { client async throws(OpsError) in
      try await join(host, view: view, client: client, connected: connected)
    }
  }

  private func join(_ host: HostSpec, view: ClusterView, client: EtcdClient, connected: ConnectedMembers) async throws(OpsError) {
    let member = try await connected.member(host)
    let memberHosts = view.entries.compactMap(\.host).filter { $0.name != host.name }
    var entry = view.entry(for: host, tls: tls)
    if entry == nil {
      if member.wasRunning {
        throw .refused(reason: "\(host.name) already runs \(member.host.node.serviceName), but it is not a member of cluster \(inventory.cluster.name); stop it (or remove it from the cluster it belongs to) and run add-member again")
      }
      let moved = try await steps.moveDataAside(member, reason: "before-add", stamp: UTCStamp.string())
      for path in moved { say("\(host.name): moved the old data aside to \(path)") }
    }
    if entry == nil || !member.wasRunning {
      let bootstrap = BootstrapValues(initialCluster: initialCluster(joining: host, view: view), state: .existing,
                                      token: inventory.cluster.token)
      say("\(host.name): deploying with ETCD_INITIAL_CLUSTER_STATE=existing, ETCD_INITIAL_CLUSTER=\(bootstrap.initialCluster)")
      try await steps.deploy([host], bootstrap: [host.name: bootstrap], openFirewallOn: memberHosts)
    }
    if entry == nil {
      do {
        let added = try await steps.retryingUnhealthy(client) { connection async throws(EtcdClientError) in
          try await connection.memberAdd(peerURLs: [host.peerURL(tls: tls)], isLearner: true)
        }
        entry = ClusterView.Entry(member: added.added, host: host, endpoint: host.clientURL(tls: tls))
        say("\(host.name): added as a learner, member ID \(etcdIDString(added.added.id)) (not voting: quorum unchanged)")
      } catch {
        throw .stopped(step: "MemberAdd of \(host.name)", message: error.description,
                       resume: "the membership did not change; its files are deployed but it was not started. Fix the cause and run add-member again")
      }
    }
    guard let entry else { return }
    let isLearner = entry.member.isLearner
    do throws(OpsError) {
      if try await !member.service.isRunning() {
        try await member.service.start()
        say("\(host.name): started \(host.node.serviceName)")
      }
      if isLearner {
        try await waitCaughtUp(host, client: client)
        do {
          _ = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in
            try await connection.memberPromote(id: entry.member.id, retryingFor: .seconds(60))
          }
        } catch {
          throw OpsError.stopped(step: "promoting \(host.name)", message: error.description, resume: "")
        }
        say("\(host.name): promoted from learner to voter")
      }
    } catch {
      guard isLearner else {
        throw .stopped(step: "starting \(host.name)", message: error.description,
                       resume: "\(host.name) is a voting member that has not started; check its log and run add-member again to resume")
      }
      throw await rollBack(host, id: entry.member.id, client: client, member: member, cause: error)
    }
    let health = await ClusterProbe(inventory: inventory).waitUntilHealthy(hosts: memberHosts + [host], timeout: options.healthTimeout)
    guard !health.isEmpty, health.allSatisfy(\.isHealthy) else {
      let sick = zip(memberHosts + [host], health).filter { !$0.1.isHealthy }.map { "\($0.0.name): \($0.1.error ?? "unhealthy")" }
      throw .stopped(step: "health after adding \(host.name)", message: sick.joined(separator: "; "),
                     resume: "\(host.name) is a voting member now; check the members' logs (`swetcd-ops status`), then run add-member again for the remaining hosts")
    }
    say("\(host.name): healthy; the cluster has \(QuorumMath(voters: view.voters.count + (isLearner ? 1 : 0)).description)")
  }

  /// The started members by name, plus the joining host, as `etcdctl member add` prints ETCD_INITIAL_CLUSTER.
  func initialCluster(joining host: HostSpec, view: ClusterView) -> String {
    var parts: [String] = []
    for entry in view.entries where entry.host?.name != host.name && entry.member.isStarted {
      for url in entry.member.peerURLs { parts.append("\(entry.member.name)=\(url)") }
    }
    parts.append("\(host.name)=\(host.peerURL(tls: tls))")
    return parts.joined(separator: ",")
  }

  /// Waits until the learner's raft index is within etcd's promotion margin (90%) of the leader's.
  private func waitCaughtUp(_ host: HostSpec, client: EtcdClient) async throws(OpsError) {
    try await steps.client(endpoints: [host.clientURL(tls: tls)]).closing { learner async throws(OpsError) in
      let deadline = ContinuousClock.now + options.catchUpTimeout
      var lastShown = ContinuousClock.now - .seconds(10)
      while true {
        let leader = await client.leader()
        let status = try? await learner.connections[0].status()
        if let leader, let status, status.raftIndex > 0, status.raftIndex * 10 >= leader.raftIndex * 9 {
          say("\(host.name): caught up as a learner: raft index \(status.raftIndex), leader's \(leader.raftIndex)")
          return
        }
        if ContinuousClock.now - lastShown >= .seconds(5) {
          say("\(host.name): catching up: raft index \(status.map { String($0.raftIndex) } ?? "-") of the leader's \(leader.map { String($0.raftIndex) } ?? "-")")
          lastShown = .now
        }
        if ContinuousClock.now >= deadline {
          throw .commandTimedOut(host: host.name, command: "catching up with the leader's log", seconds: Int(options.catchUpTimeout.components.seconds))
        }
        try? await Task.sleep(for: .seconds(1))
      }
    }
  }

  /// Removes the learner again and stops its service; returns the error to report.
  private func rollBack(_ host: HostSpec, id: UInt64, client: EtcdClient, member: Member, cause: OpsError) async -> OpsError {
    say("\(host.name): FAILED (\(cause.description)); rolling back")
    var undone: [String] = []
    do {
      _ = try await steps.retryingUnhealthy(client) { connection async throws(EtcdClientError) in try await connection.memberRemove(id: id) }
      undone.append("learner \(etcdIDString(id)) removed from the membership")
    } catch {
      undone.append("could NOT remove learner \(etcdIDString(id)): \(error.description) (remove it with `swetcd-ops remove-member \(inventory.file) --id \(etcdIDString(id))`)")
    }
    do {
      try await member.service.stop()
      undone.append("\(host.node.serviceName) stopped on \(host.name)")
    } catch {
      undone.append("could NOT stop \(host.node.serviceName) on \(host.name): \(error.description)")
    }
    let log = await member.service.recentLog(lines: 15)
    return .stopped(step: "joining \(host.name)", message: "\(cause.description)\nlast log lines of \(host.name):\n\(log)",
                    resume: "rolled back: \(undone.joined(separator: "; ")). The learner never voted, so quorum was never at stake. Fix the cause and run add-member again")
  }
}
