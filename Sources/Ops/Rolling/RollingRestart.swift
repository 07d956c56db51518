import EtcdClient
import Foundation

/// `swetcd-ops restart` and `swetcd-ops upgrade`: one member at a time, learners and followers first, the leader
/// last after handing leadership to a healthy follower. Before each member the whole cluster must be healthy;
/// after it the member must be healthy and caught up with the leader within a deadline, or the run stops at a
/// resumable point (`OpsError.stopped`).
public struct RollingRestart: Sendable {
  public let inventory: Inventory
  public let options: RollingOptions
  /// The new build for an upgrade; nil for a plain restart.
  public let upgrade: UpgradeBinaries?

  public init(inventory: Inventory, options: RollingOptions, upgrade: UpgradeBinaries? = nil) {
    self.inventory = inventory
    self.options = options
    self.upgrade = upgrade
  }

  var kind: RollingKind { upgrade == nil ? .restart : .upgrade }

  /// Plans, confirms and carries out the rolling change; prints through `say`.
  public func run(say: @escaping @Sendable (String) -> Void) async throws(OpsError) {
    let targets = try options.targets(in: inventory)
    if let upgrade, let mismatch = await upgrade.versionMismatch() { throw .refused(reason: mismatch) }
    let view = try await ClusterView.observe(inventory)
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: options.binaryDirectory,
                                     acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      try await run(view: view, targets: targets, connected: connected, say: say)
      await connected.closeAll()
    } catch {
      await connected.closeAll()
      throw error
    }
  }

  private func run(view: ClusterView, targets: [HostSpec], connected: ConnectedMembers,
                   say: @escaping @Sendable (String) -> Void) async throws(OpsError) {
    let tls = inventory.cluster.tls
    let memberTargets = targets.filter { view.entry(for: $0, tls: tls) != nil }
    let members = try await connect(memberTargets, connected: connected)
    var skip: [String: String] = [:], details: [String: String] = [:]
    var running: [String: RunningServer] = [:]
    for host in memberTargets {
      guard let member = members[host.name] else { continue }
      let server: RunningServer?
      do { server = try await RunningServer.of(member) } catch {
        throw .refused(reason: "cannot inspect \(host.name)'s server over SSH: \(error.description)")
      }
      if let server { running[host.name] = server }
      guard let upgrade else { continue }
      if server?.sha256 == upgrade.serverSHA256 {
        skip[host.name] = "already runs the new build (sha256 \(upgrade.serverSHA256.prefix(12)))"
      } else {
        let old = server.map { "sha256 \($0.sha256.prefix(12))" } ?? "not running"
        details[host.name] = "push \(member.paths.serverBinary) (sha256 \(upgrade.serverSHA256.prefix(12)), running: \(old))"
          + (upgrade.ctl != nil ? " and \(member.paths.ctlBinary)" : "")
      }
    }
    let plan = RollingPlan.make(kind: kind, clusterName: inventory.cluster.name, view: view, targets: targets, tls: tls,
                                skip: skip, details: details, requireAllMembersInInventory: upgrade != nil,
                                gateTimeout: options.gateTimeout)
    say(header)
    say(plan.render(view: view))
    if let refusal = plan.refusal { throw .refused(reason: refusal) }
    if options.dryRun { return }
    let skipped = plan.skipped.map(\.name)
    if plan.steps.isEmpty {
      try await pushCtlWhereStale(skipped, members: members, say: say)
      say(upgrade == nil ? "Nothing to restart." : "Nothing to do: every member already runs the new build.")
      if upgrade != nil { try await reportVersions(say: say) }
      return
    }
    try options.confirmation.require(plan.confirmationAction)
    try await pushCtlWhereStale(skipped, members: members, say: say)

    let gate = RollingGate(probe: ClusterProbe(inventory: inventory),
                           hosts: inventory.hosts.filter { view.entry(for: $0, tls: tls) != nil })
    var done: [String] = []
    for (index, step) in plan.steps.enumerated() {
      guard let host = targets.first(where: { $0.name == step.name }), let member = members[step.name] else { continue }
      let resume = resumeHint(done: done, skipped: skipped, left: plan.left(after: index))
      let stepName = "\(kind.verb) \(step.name) (\(index + 1) of \(plan.steps.count))"
      let stopped = { (message: String) -> OpsError in .stopped(step: stepName, message: message, resume: resume) }
      let started = ContinuousClock.now
      try await restartOne(host: host, member: member, before: running[step.name], done: done, gate: gate,
                           stopped: stopped, say: say)
      done.append(step.name)
      say("[\(done.count)/\(plan.steps.count)] \(step.name) done in \(String(format: "%.1f s", (ContinuousClock.now - started).fractionalSeconds))")
    }
    if let problem = await gate.waitForHealthyCluster(timeout: .seconds(30)) {
      throw .stopped(step: "final health check", message: problem,
                     resume: "every member was \(kind == .upgrade ? "upgraded" : "restarted"); check `swetcd-ops status` and the members' logs")
    }
    if upgrade != nil { try await reportVersions(say: say) }
    say("\(kind == .upgrade ? "Upgraded" : "Restarted") \(done.joined(separator: ", ")); the cluster is healthy.")
    if let upgrade {
      // What a later deploy pushes: the inventory's `binary:`, or the default build beside this tool.
      let stale = Set(members.values.map(\.serverBinary)).filter { SHA256Hex.ofFile($0) != upgrade.serverSHA256 }
      if !stale.isEmpty {
        say("Note: deploy pushes \(stale.sorted().joined(separator: ", ")), which is not this build: point the inventory's `binary:` at \(upgrade.server), or a later deploy pushes the old build back.")
      }
    }
  }

  private var header: String {
    let what: String
    if let upgrade {
      what = "rolling upgrade of cluster \(inventory.cluster.name) to \(upgrade.server) (sha256 \(upgrade.serverSHA256.prefix(12)))"
        + (upgrade.expectedVersion.map { ", version \($0)" } ?? "")
    } else {
      what = "rolling restart of cluster \(inventory.cluster.name)"
    }
    return "Plan: \(what)\(options.dryRun ? " (dry run: nothing is changed)" : "")"
  }

  /// One member: cluster healthy, leadership away, new build pushed, restart, caught up, new process checked.
  private func restartOne(
    host: HostSpec, member: Member, before: RunningServer?, done: [String], gate: RollingGate,
    stopped: (String) -> OpsError, say: @Sendable (String) -> Void
  ) async throws(OpsError) {
    let name = host.name
    let now: ClusterView
    switch await gate.waitForHealthyView(timeout: .seconds(30)) {
    case .success(let view): now = view
    case .failure(let problem):
      throw stopped("the cluster is not healthy before \(name): \(problem.reason); nothing was done to \(name)")
    }
    do throws(RollingGateFailure) {
      if let moved = try await LeaderHandoff.ensureNotLeader(name, view: now, done: Set(done), probe: gate.probe, gate: gate) {
        say("\(name): \(moved)")
      }
    } catch {
      throw stopped("\(error.reason); \(name) was not restarted")
    }
    if let upgrade {
      do { try await push(upgrade, to: member, say: say) } catch { throw stopped("pushing the new build failed: \(error.description)") }
    }
    let service = member.service
    say("\(name): restarting \(host.node.serviceName)")
    do {
      try await service.stop()
      try await service.start()
    } catch {
      throw stopped("restarting \(name) failed: \(error.description)\n\(await service.recentLog(lines: 15))")
    }
    switch await gate.waitUntilCaughtUp(host, timeout: options.gateTimeout) {
    case .failure(let failure):
      throw stopped("\(name) was \(upgrade == nil ? "restarted" : "restarted on the new build"), but \(failure.reason)\nlast log lines of \(name):\n\(await service.recentLog(lines: 15))")
    case .success(let progress):
      let after = try? await RunningServer.of(member)
      if let upgrade, let after, after.sha256 != upgrade.serverSHA256 {
        throw stopped("\(name) is healthy but runs sha256 \(after.sha256.prefix(12)), not the new build \(upgrade.serverSHA256.prefix(12))")
      }
      let pids = "pid \(before?.pid ?? "-") -> \(after?.pid ?? "?")"
      say("\(name): healthy and caught up (raft index \(progress.reached) >= leader's \(progress.target)), \(pids)")
    }
  }

  /// Pushes the new server (and ctl) binary to the member where its file differs (SHA-256), atomically.
  private func push(_ upgrade: UpgradeBinaries, to member: Member, say: @Sendable (String) -> Void) async throws(OpsError) {
    var files = [(upgrade.server, upgrade.serverSHA256, member.paths.serverBinary)]
    if let ctl = upgrade.ctl, let hash = upgrade.ctlSHA256 { files.append((ctl, hash, member.paths.ctlBinary)) }
    for (local, hash, remote) in files {
      if try await member.pushIfChanged(local: local, remote: remote) != nil {
        say("\(member.name): pushed \(remote) (sha256 \(hash.prefix(12)))")
      }
    }
  }

  /// Members skipped because they already run the new server still get the new ctl binary (no restart needed).
  private func pushCtlWhereStale(_ names: [String], members: [String: Member], say: @Sendable (String) -> Void) async throws(OpsError) {
    guard let upgrade, let ctl = upgrade.ctl, let hash = upgrade.ctlSHA256 else { return }
    for name in names {
      guard let member = members[name] else { continue }
      if try await member.pushIfChanged(local: ctl, remote: member.paths.ctlBinary) != nil {
        say("\(name): pushed \(member.paths.ctlBinary) (sha256 \(hash.prefix(12)))")
      }
    }
  }

  /// Prints every member's version from Status and, for `--version`, checks each reports it.
  private func reportVersions(say: @Sendable (String) -> Void) async throws(OpsError) {
    let view = try await ClusterView.observe(inventory)
    var versions: [String: String] = [:]
    var rows = [["MEMBER", "VERSION"]]
    for entry in view.entries {
      let version = entry.status?.version ?? "unknown"
      versions[entry.displayName] = version
      rows.append([entry.displayName, version])
    }
    say("Versions (from Status):\n" + TextTable.render(rows).joined(separator: "\n"))
    if let expected = upgrade?.expectedVersion {
      let wrong = versions.filter { UpgradeBinaries.normalizedVersion($0.value) != expected }.keys.sorted()
      if !wrong.isEmpty {
        throw .stopped(step: "version check", message: "\(wrong.joined(separator: ", ")) do not report version \(expected)",
                       resume: "the members run the binary from \(upgrade?.server ?? "the release folder"); if it is not release \(expected), replace it and run the upgrade again")
      }
      say("Every member reports version \(expected).")
    }
  }

  /// Connects to the hosts in parallel; an unreachable host refuses the whole run before anything changes.
  private func connect(_ hosts: [HostSpec], connected: ConnectedMembers) async throws(OpsError) -> [String: Member] {
    var members: [String: Member] = [:]
    var failures: [String] = []
    for (host, result) in zip(hosts, await connected.connectAll(hosts)) {
      switch result {
      case .success(let member): members[host.name] = member
      case .failure(let error): failures.append("\(host.name): \(error.description)")
      }
    }
    if !failures.isEmpty {
      throw .refused(reason: "cannot reach every member over SSH, so nothing was changed: \(failures.joined(separator: "; "))")
    }
    return members
  }

  func resumeHint(done: [String], skipped: [String], left: [String]) -> String {
    let doneText = (done + skipped).isEmpty ? "none" : (done + skipped).joined(separator: ", ")
    let leftText = left.enumerated().map { $0.offset == 0 ? "\($0.element) (stopped here)" : $0.element }.joined(separator: ", ")
    let inventoryPath = shellQuote(inventory.file)
    guard let upgrade else {
      return "done: \(doneText); left: \(leftText). Fix the cause above (see `swetcd-ops status`), then run `swetcd-ops restart \(inventoryPath) --hosts \(left.joined(separator: ","))` to restart the members left."
    }
    return "done: \(doneText); left: \(leftText). Fix the cause above (see `swetcd-ops status`), then run `swetcd-ops upgrade \(inventoryPath) \(upgrade.flags)` again: members already running the new build are skipped. To roll \(left.first ?? "the member") back instead, run `swetcd-ops deploy \(inventoryPath) --only binaries`: it pushes the inventory's build, and the service manager restarts a crashing server with it within seconds."
  }
}
