import EtcdClient
import Foundation

/// `swetcd-ops deploy`: takes the inventory's hosts to a healthy cluster, changing only what differs.
public final class Deployer: Sendable {
  public let inventory: Inventory
  public let options: DeployOptions
  public let templates: TemplateSet
  let reporter: ProgressReporter
  let outcomes = OutcomeLog()

  public init(inventory: Inventory, options: DeployOptions, templates: TemplateSet, reporter: ProgressReporter) {
    self.inventory = inventory
    self.options = options
    self.templates = templates
    self.reporter = reporter
  }

  /// The result of a deploy: true only when the cluster ended healthy (or, for a dry run, the plan was made).
  public struct Result: Sendable {
    public var succeeded: Bool
    public var counts: OutcomeCounts
    public var outcomes: [PhaseOutcome]
  }

  public func run() async -> Result {
    reporter.begin(hosts: targetHosts.map(\.name))
    let members = await connectAndGatherFacts()
    let result = await runPhases(members)
    // Close every session before returning: a session freed while the process exits races OpenSSL's own cleanup.
    for member in members { await member.connection.close() }
    reporter.end()
    return result
  }

  private func runPhases(_ connected: [Member]) async -> Result {
    var members = connected
    guard members.count == targetHosts.count, members.allSatisfy({ $0.failure == nil }) else {
      return finish(members: members, healthy: false)
    }
    members = await refuseNewcomers(members)
    if members.contains(where: { $0.failure != nil }) { return finish(members: members, healthy: false) }
    if options.runs(.preflight), !(await preflight(members)) { return finish(members: members, healthy: false) }

    let steps: [(DeployPhase, @Sendable (Member) async -> Member)] = [
      (.dirs, { await self.dirsPhase($0) }),
      (.certs, { await self.certsPhase($0) }),
      (.binaries, { await self.binariesPhase($0) }),
      (.config, { await self.configPhase($0) }),
      (.firewall, { await self.firewallPhase($0) }),
      (.service, { await self.servicePhase($0) }),
    ]
    for (phase, body) in steps where options.runs(phase) {
      if phase == .certs, inventory.cluster.tls, let failure = await prepareCertificates(members) {
        for index in members.indices where members[index].failure == nil {
          members[index].failure = failure
          record(members[index].name, "certs", .failed, [failure])
        }
        reporter.message(failure)
      }
      members = await forEachMember(members) { member in
        guard member.failure == nil else { return member }
        return await body(member)
      }
    }
    if members.contains(where: { $0.failure != nil }) {
      reporter.message("Stopped before starting members: fix the failures above and run deploy again (it resumes where it stopped).")
      return finish(members: members, healthy: false)
    }
    if options.runs(.start) { members = await startPhase(members) }
    var healthy = true
    if options.runs(.health), !options.dryRun { healthy = await healthPhase(members) }
    return finish(members: members, healthy: healthy && members.allSatisfy { $0.failure == nil })
  }

  /// The hosts this run acts on.
  var targetHosts: [HostSpec] {
    guard let names = options.targetHosts else { return inventory.hosts }
    return inventory.hosts.filter { names.contains($0.name) }
  }

  private func finish(members: [Member], healthy: Bool) -> Result {
    let all = outcomes.all
    let counts = OutcomeCounts(all)
    for member in members where member.failure != nil {
      reporter.update(member.name, "FAILED: \(member.failure ?? "")")
    }
    reporter.message(counts.description)
    return Result(succeeded: options.dryRun ? counts.failed == 0 : healthy && counts.failed == 0, counts: counts, outcomes: all)
  }

  // MARK: Connect and gather facts

  private func connectAndGatherFacts() async -> [Member] {
    await inParallel(targetHosts) { host in await self.connect(host) }.compactMap { $0 }
  }

  private func connect(_ host: HostSpec) async -> Member? {
    reporter.update(host.name, "connecting", transient: true)
    do {
      reporter.update(host.name, "gathering facts", transient: true)
      var member = try await Member.connect(to: host, inventory: inventory, binaryDirectory: options.defaultBinaryDirectory,
                                            acceptNewHostKeys: options.acceptNewHostKeys)
      // Read once here: the newcomer check and the config phase both use it.
      do throws(OpsError) {
        member.configOnHost = .success(try await member.connection.readFile(member.paths.config).map { String(decoding: $0, as: UTF8.self) })
      } catch {
        member.configOnHost = .failure(error)
      }
      record(member.name, "facts", .ok, [])
      return member
    } catch {
      record(host.name, "connect", .failed, [error.description])
      reporter.update(host.name, "FAILED: \(error.description)")
      reporter.message("\(host.name): \(error.description)")
      return nil
    }
  }

  // MARK: Newcomers

  /// A host with no data that the running members did not bootstrap with cannot start as part of a "new" cluster:
  /// it would wait forever for a quorum of its own. It joins with add-member (learner-first) instead.
  private func refuseNewcomers(_ members: [Member]) async -> [Member] {
    let initialized = members.filter { $0.facts.dataDirectory == .member }
    guard !initialized.isEmpty else { return members }
    var bootstrapped = Set<String>()
    for member in initialized {
      guard case .success(let config?) = member.configOnHost, let values = BootstrapValues.parse(config: config) else { continue }
      bootstrapped.formUnion(values.memberNames)
      bootstrapped.insert(member.name)
    }
    return members.map { member in
      var member = member
      if member.facts.dataDirectory != .member, options.bootstrap[member.name] == nil, !bootstrapped.contains(member.name) {
        member.failure = "\(member.name) is new but the cluster already runs (\(initialized.map(\.name).joined(separator: ", ")) have data): add it with `swetcd-ops add-member \(inventory.file) --host \(member.name)`, which joins it learner-first to the current membership"
        record(member.name, "preflight", .failed, [member.failure!])
        reporter.message(member.failure!)
      }
      return member
    }
  }

  // MARK: Preflight

  private func preflight(_ members: [Member]) async -> Bool {
    let checks: [[PreflightCheck]] = await forEachMember(members) { member in
      self.reporter.update(member.name, "preflight", transient: true)
      let fsync = try? await FsyncProbe.measure(directory: member.host.node.dataDirectory, on: member.connection)
      return Preflight.evaluate(
        host: member.host, facts: member.facts, cluster: self.inventory.cluster,
        binaryArchitecture: elfArchitecture(path: member.serverBinary), fsyncP99Milliseconds: fsync ?? nil,
        serverRunning: member.wasRunning)
    }
    let flat = checks.flatMap { $0 }
    for (member, hostChecks) in zip(members, checks) {
      let worst = hostChecks.map(\.status).max() ?? .ok
      record(member.name, "preflight", worst == .fail ? .failed : .ok,
             hostChecks.filter { $0.status != .ok }.map { "\($0.name): \($0.detail)" })
    }
    let failed = flat.contains { $0.status == .fail }
    if failed || flat.contains(where: { $0.status == .warn }) {
      reporter.message("Preflight:\n" + Preflight.render(flat))
    }
    if failed { reporter.message("Preflight failed: nothing was changed. Fix the FAIL items above (or --skip preflight) and run again.") }
    return !failed
  }

  // MARK: Bookkeeping

  func record(_ host: String, _ phase: String, _ status: PhaseOutcome.Status, _ details: [String]) {
    outcomes.append(PhaseOutcome(host: host, phase: phase, status: status, details: details))
  }

  /// Runs one phase body for a member, recording ok/changed/failed and showing it.
  func step(_ member: Member, _ phase: DeployPhase, _ body: (inout Member) async throws(OpsError) -> [String]) async -> Member {
    var member = member
    reporter.update(member.name, phase.rawValue, transient: true)
    do {
      let changes = try await body(&member)
      record(member.name, phase.rawValue, changes.isEmpty ? .ok : .changed, changes)
      for change in changes { reporter.message("\(options.dryRun ? "would " : "")\(member.name) \(phase.rawValue): \(change)") }
      reporter.update(member.name, "\(phase.rawValue) \(changes.isEmpty ? "ok" : "changed")")
    } catch {
      member.failure = error.description
      record(member.name, phase.rawValue, .failed, [error.description])
      reporter.message("\(member.name) \(phase.rawValue) FAILED: \(error.description)")
    }
    return member
  }
}

/// Outcomes collected from parallel phases.
final class OutcomeLog: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [PhaseOutcome] = []
  func append(_ outcome: PhaseOutcome) { lock.withLock { items.append(outcome) } }
  var all: [PhaseOutcome] { lock.withLock { items } }
}
