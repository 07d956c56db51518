import EtcdClient
import Foundation

extension Restorer {
  /// Connects to the hosts in parallel. With `required`, every host must answer; otherwise the ones that do are
  /// returned (and the others reported).
  func connectAll(_ hosts: [HostSpec], connected: ConnectedMembers, required: Bool) async throws(OpsError) -> [Member] {
    let results = await connected.connectAll(hosts)
    var members: [Member] = []
    var failures: [String] = []
    for (host, result) in zip(hosts, results) {
      switch result {
      case .success(let member): members.append(member)
      case .failure(let error): failures.append("\(host.name): \(error.description)")
      }
    }
    if required, !failures.isEmpty {
      throw .refused(reason: "restore needs every member's host over SSH, and these do not answer:\n\(failures.joined(separator: "\n"))\nbring them back (or take them out of the inventory) and run again; nothing was changed")
    }
    for failure in failures { say("not reachable over SSH, left out: \(failure)") }
    return members
  }

  /// Refuses while a member the inventory does not list still answers: it would keep the old cluster alive.
  func refuseOutsiders(_ view: ClusterView?) throws(OpsError) {
    guard let view else { return }
    let outsiders = view.entries.filter { $0.host == nil && $0.status != nil }
    guard outsiders.isEmpty else {
      throw .refused(reason: "member(s) \(outsiders.map { "\($0.displayName) (ID \(etcdIDString($0.member.id)), \($0.endpoint ?? "-"))" }.joined(separator: ", ")) are not in the inventory but still answer; they would keep serving the old cluster. Stop them (or add their hosts to the inventory) and run restore again; nothing was changed")
    }
  }

  /// A snapshot of the old cluster while it still answers (the moved-aside data dirs are kept anyway).
  func bestEffortBackup() async {
    do { try await steps.backupBeforeChange() } catch {
      say("could not take a snapshot of the old cluster first (\(error.description)); its data dirs are kept aside anyway")
    }
  }

  /// Stops every member and makes sure none still answers at its client URL (fencing).
  func stopAll(_ members: [Member]) async throws(OpsError) {
    _ = try await forEachMember(members, throwing: { member throws(OpsError) in try await member.service.stop() })
    for member in members {
      let endpoint = member.host.clientURL(tls: tls)
      let answered = try await steps.client(endpoints: [endpoint], callTimeout: .seconds(2)).closing { client in
        (try? await client.connections[0].status()) != nil
      }
      if answered {
        throw .stopped(step: "stopping \(member.name)", message: "something still answers at \(endpoint) after \(member.host.node.serviceName) was stopped",
                       resume: "a server outside the tool's service runs there: stop it and run restore again (nothing was restored; the members' services are stopped)")
      }
      say("\(member.name): stopped")
    }
  }

  /// Moves every member's data dir aside; returns the new paths.
  func moveAllAside(_ members: [Member], reason: String, stamp: String) async throws(OpsError) -> [String] {
    var moved: [String] = []
    for member in members {
      for path in try await steps.moveDataAside(member, reason: reason, stamp: stamp) {
        say("\(member.name): old data moved aside to \(path)")
        moved.append("\(member.name):\(path)")
      }
    }
    return moved
  }

  /// Starts the members together and waits until all are healthy.
  func startAll(_ members: [Member]) async throws(OpsError) {
    _ = try await forEachMember(members, throwing: { member throws(OpsError) in try await member.service.start() })
    let hosts = members.map(\.host)
    let health = await ClusterProbe(inventory: inventory).waitUntilHealthy(hosts: hosts, timeout: options.healthTimeout)
    guard !health.isEmpty, health.allSatisfy(\.isHealthy) else {
      var lines: [String] = []
      for (member, result) in zip(members, health) where !result.isHealthy {
        lines.append("\(member.name): \(result.error ?? "unhealthy")\n\(await member.service.recentLog(lines: 10))")
      }
      throw .stopped(step: "starting \(hosts.map(\.name).joined(separator: ", "))", message: lines.joined(separator: "\n"), resume: "")
    }
    say("\(hosts.map(\.name).joined(separator: ", ")): started and healthy")
  }
}
