import EtcdClient
import Foundation

/// `swetcd-ops restore`: brings a cluster back from a snapshot (every member restored as a NEW cluster), or
/// rebuilds it around one member's data with --force-new-cluster and re-adds the others learner-first. Old data
/// dirs are moved aside, never deleted; the snapshot is checked before anything is stopped.
public struct Restorer: Sendable {
  public enum Method: String, Sendable, CaseIterable {
    /// etcd's documented recovery: restore the snapshot on every member.
    case snapshot
    /// The seeds' procedure: one member's data (or the snapshot) forced into a 1-member cluster, others re-added.
    case forceNewCluster = "force-new-cluster"
  }

  public let inventory: Inventory
  public let method: Method
  /// The snapshot to restore (required for `snapshot`, optional for `force-new-cluster`).
  public let snapshot: String?
  /// The member whose data survives (`force-new-cluster`; default the first host).
  public let seed: String?
  public let options: MembershipOptions
  let say: @Sendable (String) -> Void

  public init(inventory: Inventory, method: Method, snapshot: String?, seed: String?, options: MembershipOptions,
              say: @escaping @Sendable (String) -> Void) {
    self.inventory = inventory
    self.method = method
    self.snapshot = snapshot
    self.seed = seed
    self.options = options
    self.say = say
  }

  var steps: MembershipSteps { MembershipSteps(inventory: inventory, options: options, say: say) }
  var tls: Bool { inventory.cluster.tls }

  /// The local ctl binary that checks snapshots (as for backups).
  var localCtl: String { inventory.localCtlBinary(binaryDirectory: options.binaryDirectory) }

  public func run() async throws(OpsError) {
    switch method {
    case .snapshot:
      guard let snapshot else { throw .refused(reason: "--method snapshot needs --from SNAPSHOT (a .db file written by `swetcd-ops backup`)") }
      try await restoreSnapshot(try await CheckedSnapshot.check(path: snapshot, ctl: localCtl))
    case .forceNewCluster:
      var checked: CheckedSnapshot?
      if let snapshot { checked = try await CheckedSnapshot.check(path: snapshot, ctl: localCtl) }
      try await forceNewCluster(checked)
    }
  }

  // MARK: --method snapshot

  private func restoreSnapshot(_ checked: CheckedSnapshot) async throws(OpsError) {
    let stamp = UTCStamp.string()
    let token = "\(inventory.cluster.token)-restored-\(stamp.lowercased())"
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: options.binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let members = try await connectAll(inventory.hosts, connected: connected, required: true)
      let view = try? await ClusterView.observe(inventory)
      try refuseOutsiders(view)
      let bumpFlags = await restoreBumpFlags(members[0])
      let initialCluster = inventory.hosts.map { "\($0.name)=\($0.peerURL(tls: tls))" }.joined(separator: ",")
      var plan = checked.summary
      plan.append("- stop all \(members.count) members (\(members.map { "\($0.name) \($0.wasRunning ? "running" : "stopped")" }.joined(separator: ", "))) so no old member keeps serving")
      plan.append("- move each data dir aside to <data dir>.before-restore-\(stamp) (never deleted)")
      plan.append("- restore the snapshot on every member as a NEW cluster: token \(token), ETCD_INITIAL_CLUSTER=\(initialCluster)")
      if bumpFlags.isEmpty {
        plan.append("- \(inventory.cluster.server == .etcd ? "etcd 3.4's" : "this") snapshot restore has no --bump-revision/--mark-compacted: revisions continue from \(checked.revision). Watchers of the old cluster that resume from a later revision would wait silently: restart them after the restore")
      } else {
        plan.append("- restore with \(bumpFlags.joined(separator: " ")): revisions jump ahead and old watchers get a compacted error instead of silent gaps")
      }
      plan.append("- start all together (\(QuorumMath(voters: members.count).description)), wait for health, verify at revision \(checked.revision): \(checked.keys.map { "\($0) keys" } ?? "the keys") and every member's HashKV\(checked.manifest?.hashKV == nil ? "" : " against the backup's")")
      say("Plan\(options.dryRun ? " (dry run: nothing is changed)" : ""):\n\(plan.joined(separator: "\n"))")
      if options.dryRun { await connected.closeAll(); return }
      try options.confirmation.require("stop every member of cluster \(inventory.cluster.name), move their data dirs aside and restore \(checked.path)")
      if view?.leader != nil { await bestEffortBackup() }
      try await stopAll(members)
      let moved = try await moveAllAside(members, reason: "before-restore", stamp: stamp)
      let resume = "every member is stopped; the old data is in \(moved.isEmpty ? "(nothing was moved)" : moved.joined(separator: ", ")). Fix the cause and run restore again (it moves aside whatever is in the data dirs first), or move the old data back and start the services"
      do throws(OpsError) {
        let bootstrap = BootstrapValues(initialCluster: initialCluster, state: .new, token: token)
        try await steps.deploy(inventory.hosts, bootstrap: Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, bootstrap) }),
                               phases: [.dirs, .certs, .binaries, .config, .firewall, .service])
        _ = try await forEachMember(members, throwing: { member throws(OpsError) in
          try await self.restoreData(checked, on: member, initialCluster: initialCluster, token: token, extraFlags: bumpFlags, stamp: stamp)
        })
        try await startAll(members)
        try await verify(checked, hosts: inventory.hosts)
      } catch {
        throw .stopped(step: "restoring", message: error.description, resume: resume)
      }
      await connected.closeAll()
    } catch {
      await connected.closeAll()
      throw error
    }
  }

  /// `--bump-revision`/`--mark-compacted` when the ctl's restore knows them (etcd 3.5+), else nothing.
  private func restoreBumpFlags(_ member: Member) async -> [String] {
    let help = try? await member.connection.run("ETCDCTL_API=3 \(shellQuote(member.paths.ctlBinary)) snapshot restore --help 2>&1", stdin: nil, timeout: .seconds(30))
    guard let text = help?.stdout, text.contains("--bump-revision"), text.contains("--mark-compacted") else { return [] }
    return ["--bump-revision", "1000000000", "--mark-compacted"]
  }

  /// Restores the snapshot into the member's (empty) data dir as a member of the new cluster.
  func restoreData(_ checked: CheckedSnapshot, on member: Member, initialCluster: String, token: String,
                   extraFlags: [String], stamp: String) async throws(OpsError) {
    let node = member.host.node
    let remote = "\(node.dataDirectory)/.swetcd-ops-restore-\(stamp).db"
    try await member.connection.pushFile(localPath: checked.path, to: remote, mode: 0o600, owner: nil, progress: nil)
    // etcd 3.4 restores only into a data dir that does not exist yet, and a data dir that is a mount point
    // cannot be removed: restore into a staging folder on the same disk, then move the result into place.
    let data = shellQuote(node.dataDirectory)
    let stage = "\(node.dataDirectory)/.swetcd-ops-restoring-\(stamp)"
    var script = "set -e\nmkdir -p \(data)\n[ ! -e \(data)/member ] || { echo \"\(node.dataDirectory)/member exists: move it aside first\" >&2; exit 1; }\nrm -rf \(shellQuote(stage))\n"
    var flags = ["--name", member.name, "--initial-cluster", initialCluster, "--initial-cluster-token", token,
                 "--initial-advertise-peer-urls", member.host.peerURL(tls: tls), "--data-dir", stage]
    var walStage: String?
    if let wal = node.walDirectory {
      walStage = "\(wal)/.swetcd-ops-restoring-\(stamp)"
      script += "mkdir -p \(shellQuote(wal))\nrm -rf \(shellQuote(walStage!))\n"
      flags += ["--wal-dir", walStage!]
    }
    flags += extraFlags
    script += "if ! ETCDCTL_API=3 \(shellQuote(member.paths.ctlBinary)) snapshot restore \(shellQuote(remote)) \(flags.map(shellQuote).joined(separator: " ")) >\(shellQuote(stage)).log 2>&1; then tail -n 20 \(shellQuote(stage)).log >&2; exit 1; fi\nrm -f \(shellQuote(stage)).log\n"
    script += "[ -d \(shellQuote(stage + "/member")) ] || { echo 'snapshot restore wrote no member folder' >&2; exit 1; }\n"
    script += "mv \(shellQuote(stage + "/member")) \(data)/member && rmdir \(shellQuote(stage))\n"
    if let wal = node.walDirectory, let walStage {
      script += "find \(shellQuote(walStage)) -mindepth 1 -maxdepth 1 -exec mv -t \(shellQuote(wal)) {} + && rmdir \(shellQuote(walStage))\n"
    }
    if let owner = member.owner {
      script += "chown -R \(shellQuote(owner)) \(data)\(node.walDirectory.map { " " + shellQuote($0) } ?? "")\n"
    }
    script += "chmod 700 \(data)\nrm -f \(shellQuote(remote))\n"
    try await member.connection.check(script, timeout: .seconds(600))
    say("\(member.name): restored the snapshot into \(node.dataDirectory)")
  }

  /// Checks the restored cluster holds what the snapshot held: at the snapshot's revision (so writes that
  /// arrive meanwhile do not matter), the live key count and, on every member, the HashKV the backup recorded.
  func verify(_ checked: CheckedSnapshot, hosts: [HostSpec]) async throws(OpsError) {
    let revision = checked.revision
    let client = try steps.client(endpoints: hosts.map { $0.clientURL(tls: tls) })
    let counted: Int64, hashes: [(host: String, hash: UInt32)]
    do throws(EtcdClientError) {
      (counted, hashes) = try await client.closing { client async throws(EtcdClientError) in
        let counted = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.countKeys(revision: revision) }.count
        var hashes: [(host: String, hash: UInt32)] = []
        for (host, connection) in zip(hosts, client.connections) { hashes.append((host.name, try await connection.hashKV(revision: revision).hash)) }
        return (counted, hashes)
      }
    } catch {
      throw .connectionFailed(host: inventory.cluster.name, message: "cannot check the restored data: \(error.description)")
    }
    var problems: [String] = []
    if let expected = checked.manifest?.hashKV {
      for (host, hash) in hashes where hash != expected { problems.append("\(host)'s HashKV at revision \(revision) is \(hash), the backup's \(expected)") }
    }
    if let keys = checked.keys, counted != keys { problems.append("\(counted) keys at revision \(revision), the backup had \(keys)") }
    guard problems.isEmpty else {
      throw .stopped(step: "verifying the restore", message: problems.joined(separator: "; "),
                     resume: "do not put the cluster back in service; check the members' logs")
    }
    say("verified: \(counted) keys at revision \(revision)\(checked.keys == nil ? " (no manifest to compare with)" : ", as in the backup"); HashKV \(hashes.map { "\($0.host) \($0.hash)" }.joined(separator: ", "))\(checked.manifest?.hashKV == nil ? "" : ", as in the backup")")
  }
}
