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
  public var directory: String {
    var backup = Backup.Options()
    backup.directory = options.directory
    return Backup(inventory: inventory, options: backup, binaryDirectory: binaryDirectory).directory
  }

  /// `<cluster>-<UTC time>-<host>-datadir.tar.gz`.
  public static func archiveName(cluster: String, date: Date, host: String) -> String {
    "\(cluster)-\(UTCStamp.string(date))-\(host)-datadir.tar.gz"
  }

  /// Runs the copy. Returns its manifest, or nil for a dry run.
  public func run(confirmation: Confirmation, say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> DataDirManifest? {
    let view = try await ClusterView.observe(inventory)
    say(view.table)
    let candidates = view.entries.map { entry in
      DataDirCandidate(name: entry.host?.name ?? entry.displayName, isVoter: !entry.member.isLearner,
                       isLeader: entry.status?.isLeader == true, isHealthy: entry.isHealthy,
                       raftIndex: entry.status?.raftIndex ?? 0, inInventory: entry.host != nil)
    }
    let chosen = try DataDirCopyPlan.choose(candidates, requested: options.member)
    guard let entry = view.entries.first(where: { $0.host?.name == chosen.name }), let host = entry.host else {
      throw .refused(reason: "\(chosen.name) is not in the inventory; add it or pick another member")
    }
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let member = try await connected.member(host)
      let manifest = try await copy(member, entry: entry, candidates: candidates, confirmation: confirmation, say: say)
      await connected.closeAll()
      return manifest
    } catch {
      await connected.closeAll()
      throw error
    }
  }

  private func copy(_ member: Member, entry: ClusterView.Entry, candidates: [DataDirCandidate], confirmation: Confirmation,
                    say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> DataDirManifest? {
    let node = member.host.node
    let folders = Self.archivedFolders(dataDirectory: node.dataDirectory, walDirectory: node.walDirectory)
    let remoteFolder = inventory.cluster.backupDirectory
    try await checkSpace(member, folders: folders, remoteFolder: remoteFolder)
    let role = entry.status?.isLeader == true ? "the leader: stopping it starts an election" : (entry.member.isLearner ? "a learner" : "a follower")
    say("""
      Plan for a copy of \(member.name)'s data dir (\(role)):
        1. stop \(node.serviceName) on \(member.name) (\(DataDirCopyPlan.quorumLine(candidates, stopping: member.name)))
        2. archive \(folders.joined(separator: " and ")) with tar into \(remoteFolder) on \(member.name)
        3. start it again and wait until it is healthy (at most \(options.healthTimeout.components.seconds) s); this happens even if step 2 fails
        4. fetch the archive to \(directory), check its SHA-256, write the manifest, remove it from the host
      """)
    if options.dryRun { return nil }
    try confirmation.require("stop member \(member.name) of cluster \(inventory.cluster.name) to copy its data dir (it is started again right after)")

    let now = Date()
    let name = Self.archiveName(cluster: inventory.cluster.name, date: now, host: member.name)
    let remotePath = "\(remoteFolder)/\(name)"
    let service = member.service(choice: node.service)
    say("stopping \(node.serviceName) on \(member.name)")
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
    say("starting \(node.serviceName) on \(member.name) and waiting until it is healthy")
    var startProblem: String?
    do throws(OpsError) { try await service.start() } catch { startProblem = error.description }
    let health = await ClusterProbe(inventory: inventory).waitUntilHealthy(hosts: [member.host], timeout: options.healthTimeout)
    guard startProblem == nil, health.first?.isHealthy == true else {
      let log = await service.recentLog(lines: 15)
      throw .stopped(step: "restart of \(member.name)",
                     message: "\(member.name) is not healthy again after the copy: \(startProblem ?? health.first?.error ?? "no answer")\nlast log lines:\n\(log)",
                     resume: "the other members keep quorum; look at \(member.name)'s log, start it with `swetcd-ops deploy --only start`, and check `swetcd-ops status`\(failure == nil ? "; the archive is on the host at \(remotePath)" : "")")
    }
    say("\(member.name) is healthy again")
    if let failure {
      throw .stopped(step: "archive on \(member.name)", message: failure.description,
                     resume: "\(member.name) was started again and is healthy; nothing else changed. Fix the cause (is \(remoteFolder) writable, with room?) and run again")
    }
    return try await fetch(member, entry: entry, remotePath: remotePath, name: name, folders: folders, created: now, say: say)
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
