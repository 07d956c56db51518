import EtcdClient
import Foundation

/// `swetcd-ops backup --data-dir-copy`: the seeds' data-dir backup. One follower is stopped (only while the
/// others keep quorum), its data dir (and WAL dir) archived with tar on its host, and it is started again and
/// waited for; the archive is then fetched to the controller with a manifest and its SHA-256 checked.
public struct DataDirCopy: Sendable {
  public struct Options: Sendable {
    /// Copy this member instead of the healthy follower furthest ahead.
    public var member: String?
    /// Folder on the controller (default `backups/<cluster>` beside the inventory, as for snapshots).
    public var directory: String?
    /// Print the plan (with the quorum arithmetic); change nothing.
    public var dryRun = false
    /// How long to wait for the member to be healthy again.
    public var healthTimeout: Duration = .seconds(120)
    public var acceptNewHostKeys = false

    public init() {}
  }

  public let inventory: Inventory
  public let options: Options
  public let binaryDirectory: String

  public init(inventory: Inventory, options: Options, binaryDirectory: String) {
    self.inventory = inventory
    self.options = options
    self.binaryDirectory = binaryDirectory
  }

  /// The controller folder the archive and its manifest go to.
  public var directory: String { Backup.defaultDirectory(inventory: inventory, override: options.directory) }

  /// `<cluster>-<UTC time>-<host>-datadir.tar.gz`.
  public static func archiveName(cluster: String, date: Date, host: String) -> String {
    "\(cluster)-\(UTCStamp.string(date))-\(host)-datadir.tar.gz"
  }

  /// Runs the copy. Returns its manifest, or nil for a dry run.
  public func run(confirmation: Confirmation, say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> DataDirManifest? {
    let view = try await ClusterView.observe(inventory)
    say(view.table)
    let chosen = try Self.choose(in: view, requested: options.member)
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let member = try await connected.member(chosen.host)
      let manifest = try await copy(member, planned: chosen, confirmation: confirmation, say: say)
      await connected.closeAll()
      return manifest
    } catch {
      await connected.closeAll()
      throw error
    }
  }

  /// The member a copy stops, as `DataDirCopyPlan.choose` picks it from `view`, with the candidates it weighed.
  struct Choice {
    var entry: ClusterView.Entry
    var host: HostSpec
    var candidates: [DataDirCandidate]
  }

  static func choose(in view: ClusterView, requested: String?) throws(OpsError) -> Choice {
    let candidates = view.entries.map { entry in
      DataDirCandidate(name: entry.host?.name ?? entry.displayName, isVoter: !entry.member.isLearner,
                       isLeader: entry.status?.isLeader == true, isHealthy: entry.isHealthy,
                       raftIndex: entry.status?.raftIndex ?? 0, inInventory: entry.host != nil)
    }
    let chosen = try DataDirCopyPlan.choose(candidates, requested: requested)
    // `choose` returns only a member the inventory has (inInventory): its entry has a host.
    let entry = view.entries[candidates.firstIndex(of: chosen)!]
    return Choice(entry: entry, host: entry.host!, candidates: candidates)
  }

  private func copy(_ member: Member, planned: Choice, confirmation: Confirmation,
                    say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> DataDirManifest? {
    let node = member.host.node
    let folders = Self.archivedFolders(dataDirectory: node.dataDirectory, walDirectory: node.walDirectory)
    let remoteFolder = inventory.cluster.backupDirectory
    try await checkSpace(member, folders: folders, remoteFolder: remoteFolder)
    let leads = planned.entry.status?.isLeader == true
    let role = leads ? "the leader: leadership is handed to another voter first" : (planned.entry.member.isLearner ? "a learner" : "a follower")
    var steps = leads ? ["move leadership from \(member.name) to a healthy voter and wait until it leads"] : []
    steps += [
      "stop \(node.serviceName) on \(member.name) (\(DataDirCopyPlan.quorumLine(planned.candidates, stopping: member.name)))",
      "archive \(folders.joined(separator: " and ")) with tar into \(remoteFolder) on \(member.name)",
      "start it again and wait until it is healthy and caught up with the leader (at most \(options.healthTimeout.components.seconds) s); this happens even if the archive fails",
      "fetch the archive to \(directory), check its SHA-256, write the manifest, remove it from the host",
    ]
    say("Plan for a copy of \(member.name)'s data dir (\(role)):\n"
        + steps.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
    if options.dryRun { return nil }
    try confirmation.require("stop member \(member.name) of cluster \(inventory.cluster.name) to copy its data dir (it is started again right after)")

    // The plan was shown before the prompt: decide again from the cluster as it is now.
    let now = try await ClusterView.observe(inventory)
    let current = try Self.choose(in: now, requested: member.name)
    let tls = inventory.cluster.tls
    let gate = RollingGate(probe: ClusterProbe(inventory: inventory), hosts: inventory.hosts.filter { now.entry(for: $0, tls: tls) != nil })
    do throws(RollingGateFailure) {
      if let moved = try await LeaderHandoff.ensureNotLeader(member.name, view: now, done: [], probe: gate.probe, gate: gate) {
        say("\(member.name): \(moved)")
      }
    } catch {
      throw .stopped(step: "leadership handoff from \(member.name)", message: error.reason,
                     resume: "nothing was stopped; check `swetcd-ops status` and run again")
    }
    // The manifest records the member's own revision and raft index, read right before it stops.
    let status: EndpointStatus
    do throws(EtcdClientError) {
      status = try await gate.probe.client(hosts: [member.host], callTimeout: .seconds(10)).closing { client async throws(EtcdClientError) in
        try await client.connections[0].status()
      }
    } catch {
      throw .refused(reason: "cannot read \(member.name)'s status before stopping it (\(error.description)); nothing was stopped. Check `swetcd-ops status` and run again")
    }

    let started = Date()
    let name = Self.archiveName(cluster: inventory.cluster.name, date: started, host: member.name)
    let remotePath = "\(remoteFolder)/\(name)"
    let service = member.service
    say("stopping \(node.serviceName) on \(member.name) (revision \(status.revision), raft index \(status.raftIndex))")
    var failure: OpsError?
    do throws(OpsError) {
      try await service.stop()
      say("archiving \(folders.joined(separator: ", ")) on \(member.name)")
      try await member.connection.check(Self.archiveCommand(folders: folders, folder: remoteFolder, name: name), timeout: .seconds(3600))
    } catch {
      failure = error
      say("archiving failed: \(error.description)")
    }
    // Always start it again, whatever happened above.
    say("starting \(node.serviceName) on \(member.name) and waiting until it is healthy and caught up")
    var startProblem: String?
    do throws(OpsError) { try await service.start() } catch { startProblem = error.description }
    let caughtUp = await gate.waitUntilCaughtUp(member.host, timeout: options.healthTimeout)
    var gateProblem: String?
    switch caughtUp {
    case .failure(let problem): gateProblem = problem.reason
    case .success(let progress):
      say("\(member.name) is healthy again and caught up (raft index \(progress.reached) >= leader's \(progress.target))")
    }
    if let problem = startProblem ?? gateProblem {
      let log = await service.recentLog(lines: 15)
      throw .stopped(step: "restart of \(member.name)",
                     message: "\(member.name) is not healthy and caught up again after the copy: \(problem)\nlast log lines:\n\(log)",
                     resume: "the other members keep quorum; look at \(member.name)'s log, start it with `swetcd-ops deploy --only start`, and check `swetcd-ops status`\(failure == nil ? "; the archive is on the host at \(remotePath)" : "")")
    }
    if let failure {
      throw .stopped(step: "archive on \(member.name)", message: failure.description,
                     resume: "\(member.name) was started again and is healthy; nothing else changed. Fix the cause (is \(remoteFolder) writable, with room?) and run again")
    }
    return try await fetch(member, memberID: current.entry.member.id, status: status, remotePath: remotePath, name: name,
                           folders: folders, created: started, say: say)
  }

  /// The data dir, and the WAL dir when it lies outside it.
  static func archivedFolders(dataDirectory: String, walDirectory: String?) -> [String] {
    guard let wal = walDirectory, !wal.isEmpty, wal != dataDirectory, !wal.hasPrefix(dataDirectory + "/") else { return [dataDirectory] }
    return [dataDirectory, wal]
  }

  /// tar of the folders with their full paths (so `tar -xzpf ARCHIVE -C /` puts them back), modes and numeric
  /// owners, written to a hidden `.part` file and renamed when complete.
  static func archiveCommand(folders: [String], folder: String, name: String) -> String {
    let part = "\(folder)/.\(name).part"
    let relative = folders.map { shellQuote(String($0.drop { $0 == "/" })) }.joined(separator: " ")
    return """
      set -e
      umask 077
      mkdir -p \(shellQuote(folder))
      chmod 700 \(shellQuote(folder))
      part=\(shellQuote(part))
      trap 'rm -f "$part"' EXIT
      tar --create --gzip --numeric-owner --file "$part" -C / -- \(relative)
      mv -f "$part" \(shellQuote("\(folder)/\(name)"))
      """
  }

  /// Refuses before anything is stopped when the backup folder's filesystem has less room than the folders use.
  private func checkSpace(_ member: Member, folders: [String], remoteFolder: String) async throws(OpsError) {
    let output = try await member.connection.run("""
      du -sk \(folders.map(shellQuote).joined(separator: " ")) 2>/dev/null | awk '{s+=$1} END {print "used " s+0}'
      d=\(shellQuote(remoteFolder)); while [ ! -d "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
      df -Pk "$d" | awk 'NR==2 {print "free " $4}'
      """, stdin: nil, timeout: .seconds(120))
    var values: [String: Int] = [:]
    for line in output.stdout.split(separator: "\n") {
      let parts = line.split(separator: " ")
      if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
    }
    if let used = values["used"], let free = values["free"], free < used + used / 10 {
      throw .refused(reason: "\(member.name) has \(free / 1024) MB free for \(remoteFolder) but the data dir uses \(used / 1024) MB; free space or set backup_dir to a larger filesystem (nothing was stopped)")
    }
  }
}
