/// The phases of `swetcd-ops deploy`, in the order they run. Each observes before it acts and can run alone.
public enum DeployPhase: String, Sendable, CaseIterable {
  case preflight, dirs, certs, binaries, config, firewall, service, start, health
}

/// How a deploy runs.
public struct DeployOptions: Sendable {
  /// Print the plan with diffs; change nothing (no files, no services, not even local certificates).
  public var dryRun = false
  /// Run only these phases (plus gathering facts); nil runs all.
  public var only: Set<DeployPhase>?
  public var skip: Set<DeployPhase> = []
  /// Record unknown host keys in known_hosts instead of refusing them (a changed key is always refused).
  public var acceptNewHostKeys = false
  /// How long to wait for every member to be healthy.
  public var healthTimeout: Duration = .seconds(120)
  /// Where the default swetcd/swetcdctl binaries are (the folder of this tool's own executable by default).
  public var defaultBinaryDirectory: String

  /// Act on these inventory hosts only (nil: all). Day-2 commands deploy one joining host this way.
  public var targetHosts: Set<String>?
  /// Bootstrap values to render for these hosts instead of the inventory's (joining a running cluster, or a restore).
  public var bootstrap: [String: BootstrapValues] = [:]

  public init(defaultBinaryDirectory: String) { self.defaultBinaryDirectory = defaultBinaryDirectory }

  public func runs(_ phase: DeployPhase) -> Bool {
    (only?.contains(phase) ?? true) && !skip.contains(phase)
  }
}

/// What one phase did on one host.
public struct PhaseOutcome: Sendable, Hashable {
  public enum Status: String, Sendable { case ok, changed, failed, skipped }
  public var host: String
  public var phase: String
  public var status: Status
  /// What changed (or would change), or why it failed.
  public var details: [String]
}

/// The counts printed at the end, as configuration tools print them.
public struct OutcomeCounts: Sendable, Hashable, CustomStringConvertible {
  public var ok = 0, changed = 0, failed = 0, skipped = 0

  public init(_ outcomes: [PhaseOutcome]) {
    for outcome in outcomes {
      switch outcome.status {
      case .ok: ok += 1
      case .changed: changed += 1
      case .failed: failed += 1
      case .skipped: skipped += 1
      }
    }
  }

  public var description: String { "ok=\(ok) changed=\(changed) failed=\(failed) skipped=\(skipped)" }
}
