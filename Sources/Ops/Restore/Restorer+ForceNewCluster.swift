import EtcdClient
import Foundation

extension Restorer {
  /// The seeds' procedure: the seed's data (kept, with a copy aside, or restored from the snapshot) becomes a
  /// 1-member cluster (`--force-new-cluster` rewrites its membership), its peer URL is fixed, it restarts
  /// normally, and the other hosts join back one at a time, learner-first, with empty data dirs.
  func forceNewCluster(_ checked: CheckedSnapshot?) async throws(OpsError) {
    let seedHost = try seedHost()
    let others = inventory.hosts.filter { $0.name != seedHost.name }
    let stamp = UTCStamp.string()
    let token = "\(inventory.cluster.token)-restored-\(stamp.lowercased())"
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: options.binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let seed = try await connected.member(seedHost)
      let reachableOthers = try await connectAll(others, connected: connected, required: false)
      let view = try? await ClusterView.observe(inventory)
      try refuseOutsiders(view)
      let unreachableLive = others.filter { host in !reachableOthers.contains { $0.name == host.name } && view?.entry(for: host, tls: tls)?.status != nil }
      if !unreachableLive.isEmpty {
        throw OpsError.refused(reason: "\(unreachableLive.map(\.name).joined(separator: ", ")) still answer as members but not over SSH, so they cannot be stopped; a forced new cluster beside them would split the data. Stop them and run again; nothing was changed")
      }
      if checked == nil, seed.facts.dataDirectory != .member {
        throw OpsError.refused(reason: "\(seedHost.name) has no member data in \(seedHost.node.dataDirectory) to build on; pass --from SNAPSHOT, or choose the member with the best data with --seed NAME")
      }
      var plan: [String] = checked?.summary ?? []
      plan.append("- stop every reachable member (\(([seed] + reachableOthers).map(\.name).joined(separator: ", "))) so none keeps serving")
      if checked != nil {
        plan.append("- \(seedHost.name): move its data aside to <data dir>.before-restore-\(stamp) and restore the snapshot as a 1-member cluster (token \(token))")
      } else {
        plan.append("- \(seedHost.name): copy its data dir to <data dir>.before-force-new-cluster-\(stamp) (kept), then start it once with --force-new-cluster: its data becomes a 1-member cluster (\(QuorumMath(voters: 1).description))")
        plan.append("- verify its keys and revision, fix its peer URL to \(seedHost.peerURL(tls: tls)) if it differs (member update), restart it without --force-new-cluster")
      }
      plan.append("- others: move their data dirs aside to <data dir>.before-force-new-cluster-\(stamp); then add them back one at a time as learners, each promoted once caught up: " +
                  (1...inventory.hosts.count).map { "\($0)" }.joined(separator: " -> ") + " voters")
      say("Plan\(options.dryRun ? " (dry run: nothing is changed)" : ""):\n\(plan.joined(separator: "\n"))")
      if options.dryRun { await connected.closeAll(); return }
      try options.confirmation.require("stop cluster \(inventory.cluster.name) and rebuild it from \(checked.map { "snapshot \($0.path)" } ?? "\(seedHost.name)'s data") with --force-new-cluster")
      try await stopAll([seed] + reachableOthers)
      _ = try await moveAllAside(reachableOthers, reason: "before-force-new-cluster", stamp: stamp)
      try await rebuildSeed(seed, checked: checked, token: token, stamp: stamp)
      await connected.closeAll()
    } catch {
      await connected.closeAll()
      throw error
    }
    guard !others.isEmpty else { return }
    say("re-adding \(others.map(\.name).joined(separator: ", ")) one at a time, learner-first")
    var addOptions = options
    addOptions.confirmation = Confirmation(assumeYes: true)
    addOptions.backupFirst = false
    do {
      try await MemberAdder(inventory: inventory, hostNames: others.map(\.name), options: addOptions, say: say).run()
    } catch {
      throw .stopped(step: "re-adding members", message: error.description,
                     resume: "\(seedHost.name) serves the data as a smaller cluster; run `swetcd-ops add-member \(inventory.file) --host ...` for the hosts not yet back")
    }
  }

  private func seedHost() throws(OpsError) -> HostSpec {
    guard let name = seed else {
      guard let first = inventory.hosts.first else { throw .refused(reason: "the inventory has no hosts") }
      return first
    }
    guard let host = inventory.host(named: name) else {
      throw .refused(reason: "--seed \(name) is not in \(inventory.file) (hosts: \(inventory.hosts.map(\.name).joined(separator: ", ")))")
    }
    return host
  }

  /// Makes the seed a healthy 1-member cluster holding the data.
  private func rebuildSeed(_ seed: Member, checked: CheckedSnapshot?, token: String, stamp: String) async throws(OpsError) {
    let host = seed.host
    let alone = BootstrapValues(initialCluster: "\(host.name)=\(host.peerURL(tls: tls))", state: .new, token: token)
    let resume = "the other members are stopped with their data moved aside; \(host.name)'s original data is kept aside. Fix the cause and run restore again"
    do throws(OpsError) {
      if let checked {
        _ = try await moveAllAside([seed], reason: "before-restore", stamp: stamp)
        try await steps.deploy([host], bootstrap: [host.name: alone], phases: [.dirs, .certs, .binaries, .config, .firewall, .service])
        try await restoreData(checked, on: seed, initialCluster: alone.initialCluster, token: token, extraFlags: [], stamp: stamp)
        try await startAll([seed])
        try await verify(checked, hosts: [host])
      } else {
        try await copyDataAside(seed, stamp: stamp)
        var forced = inventory
        if let index = forced.hosts.firstIndex(where: { $0.name == host.name }) { forced.hosts[index].node.settings["force-new-cluster"] = "true" }
        let forcedSteps = MembershipSteps(inventory: forced, options: options, say: say)
        try await forcedSteps.deploy([host], bootstrap: [host.name: alone], phases: [.dirs, .certs, .binaries, .config, .firewall, .service])
        say("\(host.name): starting with --force-new-cluster")
        try await startAll([seed])
        try await reportData(on: host)
        try await fixPeerURL(of: host)
        try await steps.deploy([host], bootstrap: [host.name: alone], phases: [.config])
        let service = seed.service
        try await service.stop()
        say("\(host.name): restarting without --force-new-cluster")
        try await startAll([seed])
      }
    } catch {
      throw .stopped(step: "rebuilding \(host.name)", message: error.description, resume: resume)
    }
  }

  /// Copies the data (and WAL) dir aside before --force-new-cluster rewrites its membership.
  private func copyDataAside(_ member: Member, stamp: String) async throws(OpsError) {
    for path in try await steps.copyDataAside(member, reason: "before-force-new-cluster", stamp: stamp) {
      say("\(member.name): copied its data to \(path) (kept)")
    }
  }

  private func reportData(on host: HostSpec) async throws(OpsError) {
    let counted = try await steps.client(endpoints: [host.clientURL(tls: tls)]).closing { client in try? await client.connections[0].countKeys() }
    guard let counted else { throw .connectionFailed(host: host.name, message: "cannot count its keys after --force-new-cluster") }
    say("\(host.name): serves \(counted.count) keys at revision \(counted.revision) as a 1-member cluster")
  }

  /// `member update` when the seed's recorded peer URL is not the inventory's.
  private func fixPeerURL(of host: HostSpec) async throws(OpsError) {
    let client = try steps.client(endpoints: [host.clientURL(tls: tls)])
    let wanted = host.peerURL(tls: tls)
    do throws(EtcdClientError) {
      try await client.closing { client async throws(EtcdClientError) in
        let list = try await client.connections[0].memberList()
        if let me = list.members.first(where: { $0.name == host.name }) ?? list.members.first, me.peerURLs != [wanted] {
          _ = try await client.connections[0].memberUpdate(id: me.id, peerURLs: [wanted])
          say("\(host.name): peer URL updated from \(me.peerURLs.joined(separator: ",")) to \(wanted)")
        }
      }
    } catch {
      throw .connectionFailed(host: host.name, message: "member update: \(error.description)")
    }
  }
}
