import EtcdClient
import Foundation

/// `swetcd-ops compact`: discards the key-value history before a revision, cluster-wide and physically (the call
/// returns once the backend has applied it). Destructive: reads, watches and backups at older revisions fail
/// afterwards, so it asks for confirmation.
public struct Compactor: Sendable {
  public struct Options: Sendable {
    /// Compact up to this revision (exclusive of its own version: the revision stays readable).
    public var revision: Int64?
    /// Keep the newest N revisions readable instead (N >= 1).
    public var keepRevisions: Int64?
    public var dryRun = false
    public var confirmation: Confirmation

    public init(confirmation: Confirmation) { self.confirmation = confirmation }
  }

  /// The revision to compact to, decided from the current one.
  public enum Target: Sendable, Hashable {
    case compact(Int64)
    /// Nothing to compact, and why.
    case nothing(String)
    /// Asked for something impossible, and why.
    case refused(String)
  }

  public let inventory: Inventory
  public let options: Options

  public init(inventory: Inventory, options: Options) {
    self.inventory = inventory
    self.options = options
  }

  /// `--revision R`: R itself (refused beyond the current revision); `--keep-revisions N`: current - N + 1, so
  /// the newest N revisions stay readable; neither: the current revision (as `--keep-revisions 1`).
  public static func target(current: Int64, revision: Int64?, keepRevisions: Int64?) -> Target {
    if let revision {
      if revision > current {
        return .refused("revision \(revision) is in the future: the cluster's current revision is \(current)")
      }
      if revision < 1 { return .refused("revision \(revision) is not a revision (they start at 1)") }
      return .compact(revision)
    }
    if let keep = keepRevisions {
      let revision = current - keep + 1
      if revision <= 1 { return .nothing("the cluster has \(current) revision(s); keeping the newest \(keep) leaves nothing to compact") }
      return .compact(revision)
    }
    return .compact(current)
  }

  /// Plans, confirms and compacts; returns the revision compacted to, or nil when there was nothing to do.
  public func run(say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> Int64? {
    let view = try await ClusterView.observe(inventory)
    guard let leader = view.leader, let current = leader.status?.revision else {
      throw .refused(reason: "no member reports itself leader, so the current revision is unknown; check `swetcd-ops status` and run again")
    }
    say("Plan: compact cluster \(inventory.cluster.name)\(options.dryRun ? " (dry run: nothing is changed)" : "")")
    say(view.table)
    guard view.quorum.holds(healthy: view.healthyVoters) else {
      throw .refused(reason: "only \(view.healthyVoters) of \(view.voters.count) voters are healthy (quorum \(view.quorum.quorum)); compaction goes through raft and needs a quorum")
    }
    let revision: Int64
    switch Self.target(current: current, revision: options.revision, keepRevisions: options.keepRevisions) {
    case .refused(let reason): throw .refused(reason: reason)
    case .nothing(let reason):
      say("Nothing to compact: \(reason).")
      return nil
    case .compact(let value): revision = value
    }
    let keeping = options.keepRevisions.map { "keeping the newest \($0) revision\($0 == 1 ? "" : "s")" }
      ?? (options.revision == nil ? "keeping only the current revision" : "as asked")
    say("""
      Compact the key-value history before revision \(revision) (current revision \(current), \(keeping)): versions of \
      keys superseded before revision \(revision) are dropped, revisions \(revision)...\(current) stay readable; reads, \
      watches and backups at revisions below \(revision) fail afterwards with "etcdserver: mvcc: required revision has \
      been compacted". Physical: waits until the backend applied it.
      """)
    if options.dryRun { return nil }
    try options.confirmation.require("compact cluster \(inventory.cluster.name)'s history before revision \(revision) (cannot be undone)")
    do throws(EtcdClientError) {
      let client = try ClusterProbe(inventory: inventory).client(callTimeout: .seconds(120))
      do throws(EtcdClientError) {
        try await client.withAnyEndpoint { connection async throws(EtcdClientError) in
          try await connection.compact(revision: revision, physical: true)
        }
        await client.close()
      } catch {
        await client.close()
        throw error
      }
    } catch {
      if error.isCompacted {
        say("Nothing to compact: the history was already compacted at or past revision \(revision).")
        return nil
      }
      throw .stopped(step: "compact to revision \(revision)", message: error.description,
                     resume: "nothing was compacted unless `etcdctl get --rev \(max(1, revision - 1)) <key>` now fails; check `swetcd-ops status` and run again")
    }
    say("Compacted: the history before revision \(revision) is gone (current revision \(current)). The database file keeps its size until `swetcd-ops defrag` returns the freed space.")
    return revision
  }
}
