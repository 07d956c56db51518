import EtcdClient
import Foundation

/// Steps shared by add-member, remove-member and the restores: snapshots before changes, deploying one host's
/// files, moving data dirs aside, and cluster calls that etcd refuses for a few seconds after a change.
struct MembershipSteps: Sendable {
  let inventory: Inventory
  let options: MembershipOptions
  let say: @Sendable (String) -> Void

  /// A verified snapshot before the membership changes, so a bad change can be undone with `restore`.
  func backupBeforeChange(from member: String? = nil) async throws(OpsError) {
    guard options.backupFirst else {
      say("no snapshot taken first (--no-backup)")
      return
    }
    var backupOptions = Backup.Options()
    backupOptions.directory = options.backupDirectory
    backupOptions.member = member
    let manifest = try await Backup(inventory: inventory, options: backupOptions, binaryDirectory: options.binaryDirectory).run(say: say)
    say("snapshot before the change: \(manifest.file) (revision \(manifest.revision)); `swetcd-ops restore` can bring it back")
  }

  /// Deploys the files, binaries, certificates, firewall and service definition of `hosts` (not starting them),
  /// rendering `bootstrap` values for each; and opens the other members' firewalls to them.
  func deploy(_ hosts: [HostSpec], bootstrap: [String: BootstrapValues], phases: Set<DeployPhase>? = nil,
              openFirewallOn others: [HostSpec] = []) async throws(OpsError) {
    let templates = try TemplateSet.locate(override: options.templatesDirectory)
    var deployOptions = DeployOptions(defaultBinaryDirectory: options.binaryDirectory)
    deployOptions.acceptNewHostKeys = options.acceptNewHostKeys
    deployOptions.targetHosts = Set(hosts.map(\.name))
    deployOptions.bootstrap = bootstrap
    deployOptions.only = phases ?? [.preflight, .dirs, .certs, .binaries, .config, .firewall, .service]
    let result = await Deployer(inventory: inventory, options: deployOptions, templates: templates, reporter: ProgressReporter()).run()
    guard result.succeeded else {
      throw .stopped(step: "deploying \(hosts.map(\.name).joined(separator: ", "))",
                     message: result.outcomes.filter { $0.status == .failed }.map { "\($0.host) \($0.phase): \($0.details.joined(separator: "; "))" }.joined(separator: "\n"),
                     resume: "nothing in the membership changed yet; fix the cause and run the command again")
    }
    guard !others.isEmpty else { return }
    deployOptions.targetHosts = Set(others.map(\.name))
    deployOptions.only = [.firewall]
    deployOptions.bootstrap = [:]
    let firewall = await Deployer(inventory: inventory, options: deployOptions, templates: templates, reporter: ProgressReporter()).run()
    guard firewall.succeeded else {
      throw .stopped(step: "opening the members' firewalls", message: "\(firewall.counts)",
                     resume: "nothing in the membership changed yet; fix the firewall failures above and run again")
    }
  }

  /// Moves a member's data dir (and WAL dir) aside; never deletes. A plain folder is renamed to
  /// `<dir>.<reason>-<UTC time>`; a mount point (a dedicated disk, which cannot be renamed) keeps its place and
  /// its contents move into `<dir>/\(Self.asideFolder)/<reason>-<UTC time>/` on the same disk (etcd logs a
  /// warning about that folder and otherwise ignores it). Returns where the data went (empty: nothing to move).
  func moveDataAside(_ member: Member, reason: String, stamp: String) async throws(OpsError) -> [String] {
    try await setAside(member, reason: reason, stamp: stamp, copy: false)
  }

  /// Copies the data (and WAL) dir aside the same way, leaving the original in place.
  func copyDataAside(_ member: Member, reason: String, stamp: String) async throws(OpsError) -> [String] {
    try await setAside(member, reason: reason, stamp: stamp, copy: true)
  }

  /// Hidden folder inside a mount-point data dir that holds moved-aside data.
  static let asideFolder = ".swetcd-ops-aside"

  private func setAside(_ member: Member, reason: String, stamp: String, copy: Bool) async throws(OpsError) -> [String] {
    var moved: [String] = []
    for directory in [member.host.node.dataDirectory, member.host.node.walDirectory].compactMap({ $0 }) {
      let label = "\(reason)-\(stamp)"
      let act = copy ? "cp -a" : "mv"
      let output = try await member.connection.check("""
        d=\(shellQuote(directory)); label=\(shellQuote(label)); aside=\(Self.asideFolder)
        [ -d "$d" ] && [ -n "$(ls -A "$d" | grep -vx "$aside")" ] || exit 0
        if ! mountpoint -q "$d" 2>/dev/null && \(act) "$d" "$d.$label" 2>/dev/null; then echo "aside=$d.$label"; exit 0; fi
        mkdir -p "$d/$aside/$label" && chmod 700 "$d/$aside"
        find "$d" -mindepth 1 -maxdepth 1 ! -name "$aside" -exec \(act) -t "$d/$aside/$label" {} +
        echo "aside=$d/$aside/$label"
        """, timeout: .seconds(copy ? 1800 : 120))
      for line in output.split(separator: "\n") where line.hasPrefix("aside=") { moved.append(String(line.dropFirst(6))) }
    }
    return moved
  }

  /// Runs a membership call, retrying for up to 30 s while etcd answers "unhealthy cluster" (it refuses changes
  /// until every voter has been connected for 5 s, e.g. right after a member started).
  func retryingUnhealthy<T: Sendable>(
    _ client: EtcdClient, _ body: @escaping @Sendable (EtcdConnection) async throws(EtcdClientError) -> T
  ) async throws(EtcdClientError) -> T {
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
      do {
        return try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await body(connection) }
      } catch {
        guard Self.saysUnhealthy(error), ContinuousClock.now < deadline else { throw error }
        try? await Task.sleep(for: .seconds(1))
      }
    }
  }

  /// "unhealthy cluster" from the member asked, or from any of the members tried in turn.
  static func saysUnhealthy(_ error: EtcdClientError) -> Bool {
    if case .allEndpointsFailed(let failures) = error { return failures.contains(where: saysUnhealthy) }
    return error.isUnhealthyCluster
  }

  /// A client on these endpoints with the tool's client certificate.
  func client(endpoints: [String], callTimeout: Duration = .seconds(10)) throws(OpsError) -> EtcdClient {
    do {
      return try ClusterProbe(inventory: inventory).client(endpoints: endpoints, callTimeout: callTimeout)
    } catch {
      throw .connectionFailed(host: inventory.cluster.name, message: error.description)
    }
  }
}
