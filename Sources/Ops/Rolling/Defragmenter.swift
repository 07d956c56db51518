import EtcdClient
import Foundation

/// `swetcd-ops defrag`: Maintenance.Defragment on one member at a time (followers first, the leader last), the
/// whole cluster healthy before each member and the member healthy again after it; prints each member's database
/// size before and after.
public struct Defragmenter: Sendable {
  public let inventory: Inventory
  public let options: RollingOptions

  public init(inventory: Inventory, options: RollingOptions) {
    self.inventory = inventory
    self.options = options
  }

  /// One member's sizes from Status, before and after.
  public struct MemberResult: Sendable, Hashable {
    public var name: String
    public var sizeBefore: Int64
    public var inUseBefore: Int64
    public var sizeAfter: Int64
    public var inUseAfter: Int64
    public var seconds: Double
  }

  /// A defragmentation may take minutes on a large database: the call gets this long.
  static let callTimeout: Duration = .seconds(600)

  public func run(say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> [MemberResult] {
    let targets = try options.targets(in: inventory)
    let view = try await ClusterView.observe(inventory)
    let tls = inventory.cluster.tls
    let plan = RollingPlan.make(kind: .defrag, clusterName: inventory.cluster.name, view: view, targets: targets, tls: tls,
                                gateTimeout: options.gateTimeout)
    say("Plan: defragment cluster \(inventory.cluster.name) one member at a time\(options.dryRun ? " (dry run: nothing is changed)" : "")")
    say(plan.render(view: view))
    if let refusal = plan.refusal { throw .refused(reason: refusal) }
    if options.dryRun || plan.steps.isEmpty { return [] }

    let probe = ClusterProbe(inventory: inventory)
    let gate = RollingGate(probe: probe, hosts: inventory.hosts.filter { view.entry(for: $0, tls: tls) != nil })
    var results: [MemberResult] = []
    for (index, step) in plan.steps.enumerated() {
      guard let host = targets.first(where: { $0.name == step.name }) else { continue }
      let resume = "done: \(results.isEmpty ? "none" : results.map(\.name).joined(separator: ", ")); left: \(plan.left(after: index).joined(separator: ", ")). Fix the cause above, then run `swetcd-ops defrag \(shellQuote(inventory.file)) --hosts \(plan.left(after: index).joined(separator: ","))`."
      let stopped = { (message: String) -> OpsError in
        .stopped(step: "defragment \(step.name) (\(index + 1) of \(plan.steps.count))", message: message, resume: resume)
      }
      if let problem = await gate.waitForHealthyCluster(timeout: .seconds(30)) {
        throw stopped("the cluster is not healthy before \(step.name): \(problem); \(step.name) was not defragmented")
      }
      let result: MemberResult
      do throws(EtcdClientError) {
        result = try await defragment(host, probe: probe, say: say)
      } catch {
        throw stopped("defragmenting \(step.name) failed: \(error.description)")
      }
      let health = await probe.waitUntilHealthy(hosts: [host], timeout: options.gateTimeout)
      guard health.first?.isHealthy == true else {
        throw stopped("\(step.name) is not healthy after its defragmentation: \(health.first?.error ?? "no answer")")
      }
      results.append(result)
      say("[\(results.count)/\(plan.steps.count)] \(step.name): db size \(ClusterProbe.bytes(result.sizeBefore)) -> \(ClusterProbe.bytes(result.sizeAfter)) (in use \(ClusterProbe.bytes(result.inUseBefore)) -> \(ClusterProbe.bytes(result.inUseAfter))), took \(String(format: "%.2f", result.seconds)) s; healthy")
    }
    if let problem = await gate.waitForHealthyCluster(timeout: .seconds(30)) {
      throw .stopped(step: "final health check", message: problem,
                     resume: "every member was defragmented; check `swetcd-ops status` and the members' logs")
    }
    say(Self.table(results))
    return results
  }

  private func defragment(_ host: HostSpec, probe: ClusterProbe, say: @Sendable (String) -> Void) async throws(EtcdClientError) -> MemberResult {
    let client = try probe.client(hosts: [host], callTimeout: .seconds(10))
    do throws(EtcdClientError) {
      let connection = client.connections[0]
      let before = try await connection.status()
      say("\(host.name): defragmenting (db size \(ClusterProbe.bytes(before.dbSize)))")
      let started = ContinuousClock.now
      try await connection.defragment(timeout: Self.callTimeout)
      let took = ContinuousClock.now - started
      let after = try await connection.status()
      await client.close()
      return MemberResult(name: host.name, sizeBefore: before.dbSize, inUseBefore: before.dbSizeInUse,
                          sizeAfter: after.dbSize, inUseAfter: after.dbSizeInUse,
                          seconds: took.fractionalSeconds)
    } catch {
      await client.close()
      throw error
    }
  }

  /// Before/after per member, as the run ends.
  static func table(_ results: [MemberResult]) -> String {
    var rows = [["MEMBER", "DB SIZE BEFORE", "DB SIZE AFTER", "IN USE AFTER", "TOOK"]]
    for result in results {
      rows.append([result.name, ClusterProbe.bytes(result.sizeBefore), ClusterProbe.bytes(result.sizeAfter),
                   ClusterProbe.bytes(result.inUseAfter), String(format: "%.2f s", result.seconds)])
    }
    return TextTable.render(rows).joined(separator: "\n")
  }
}
