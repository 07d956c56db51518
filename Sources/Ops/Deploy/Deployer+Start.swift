import EtcdClient
import Foundation

extension Deployer {
  // MARK: start: new members together, changed running members one at a time

  func startPhase(_ members: [Member]) async -> [Member] {
    var members = members
    let stopped = members.indices.filter { !members[$0].wasRunning }
    let restart = members.indices.filter { members[$0].wasRunning && members[$0].needsRestart }
    let math = QuorumMath(voters: members.count)
    let total = math.voters, quorum = math.quorum
    if options.dryRun {
      if !stopped.isEmpty {
        reporter.message("would start \(stopped.map { members[$0].name }.joined(separator: ", ")) together (\(total) members, quorum \(quorum): members wait for each other until \(quorum) are up)")
      }
      if !restart.isEmpty {
        reporter.message("would restart \(restart.map { members[$0].name }.joined(separator: ", ")) one at a time, waiting for all \(total) to be healthy between them (at most 1 down while quorum \(quorum) of \(total) holds)")
      }
      for member in members { record(member.name, "start", stopped.isEmpty && restart.isEmpty ? .ok : .changed, []) }
      return members
    }
    // A new cluster's members must start together: each waits for a quorum of peers before it is ready.
    let started = await forEachMember(stopped.map { members[$0] }) { member in
      await self.step(member, .start) { member throws(OpsError) in
        try await member.service.start()
        return ["started \(member.host.node.serviceName)"]
      }
    }
    for (index, member) in zip(stopped, started) { members[index] = member }
    // Running members whose config, certificates or binary changed: one at a time, keeping quorum.
    let followersFirst = await leaderLast(restart.map { members[$0] })
    for member in followersFirst {
      guard let index = members.firstIndex(where: { $0.name == member.name }) else { continue }
      let before = await ClusterProbe(inventory: inventory).waitUntilHealthy(timeout: options.healthTimeout)
      guard !before.isEmpty, before.allSatisfy(\.isHealthy) else {
        members[index].failure = "not restarted: the cluster is not healthy, and restarting a member now could lose quorum"
        record(member.name, "start", .failed, [members[index].failure!])
        reporter.message("\(member.name) start FAILED: \(members[index].failure!)")
        break
      }
      members[index] = await step(member, .start) { member throws(OpsError) in
        let service = member.service
        try await service.stop()
        try await service.start()
        let health = await ClusterProbe(inventory: inventory).waitUntilHealthy(hosts: [member.host], timeout: options.healthTimeout)
        guard health.first?.isHealthy == true else {
          throw .commandFailed(host: member.name, command: "restart", status: 1,
                               stderr: "not healthy after restart: \(health.first?.error ?? "no answer")\n\(await service.recentLog(lines: 15))")
        }
        return ["restarted \(member.host.node.serviceName) (rolling, \(total - 1) of \(total) stayed up)"]
      }
      if members[index].failure != nil { break }
    }
    return members
  }

  /// Orders members so that the current leader restarts last (one election instead of several).
  private func leaderLast(_ members: [Member]) async -> [Member] {
    guard members.count > 1, let client = try? ClusterProbe(inventory: inventory).client() else { return members }
    let statuses = await client.closing { client in await client.statusOfAll() }
    let leaders = Set(zip(inventory.hosts, statuses).compactMap { host, result -> String? in
      if case .success(let status) = result, status.isLeader { return host.name }
      return nil
    })
    return members.filter { !leaders.contains($0.name) } + members.filter { leaders.contains($0.name) }
  }

  // MARK: health: wait for every member, then the summary table

  func healthPhase(_ members: [Member]) async -> Bool {
    for member in members { reporter.update(member.name, "waiting for health", transient: true) }
    let probe = ClusterProbe(inventory: inventory)
    // Every inventory host is waited for (the cluster must be healthy), in inventory order.
    let health = await probe.waitUntilHealthy(timeout: options.healthTimeout) { health in
      for (host, result) in zip(self.inventory.hosts, health) {
        self.reporter.update(host.name, result.isHealthy ? "done: healthy" : "waiting for health", transient: !result.isHealthy)
      }
    }
    // The members acted on may be only some hosts (targetHosts): pair each with its own host's result.
    let healthByHost = Dictionary(zip(inventory.hosts.map(\.name), health), uniquingKeysWith: { first, _ in first })
    for member in members {
      guard let result = healthByHost[member.name] else { continue }
      record(member.name, "health", result.isHealthy ? .ok : .failed, result.error.map { [$0] } ?? [])
      if !result.isHealthy {
        let log = await member.service.recentLog(lines: 15)
        reporter.message("\(member.name) is not healthy: \(result.error ?? "unknown")\nlast log lines:\n\(log)")
      }
    }
    let summary = await probe.summary()
    reporter.message(summary.table)
    return !health.isEmpty && health.allSatisfy(\.isHealthy) && summary.healthy
  }
}
