import EtcdClient
import Foundation

/// `swetcd-ops backup`: a verified snapshot of the cluster with a manifest, and retention.
public struct Backup: Sendable {
  public struct Options: Sendable {
    /// Folder for backups (default `backups/<cluster>` beside the inventory).
    public var directory: String?
    /// Keep this many newest backups of the cluster in the folder.
    public var keep: Int?
    /// Delete backups older than this (the newest is always kept).
    public var maxAgeDays: Int?
    /// Take the snapshot from this member instead of the leader.
    public var member: String?
    /// Test-restore the snapshot with the ctl binary and count its keys.
    public var verify = false

    public init() {}
  }

  public let inventory: Inventory
  public let options: Options
  /// Where this tool's own executables are (for the default swetcdctl).
  public let binaryDirectory: String

  public init(inventory: Inventory, options: Options, binaryDirectory: String) {
    self.inventory = inventory
    self.options = options
    self.binaryDirectory = binaryDirectory
  }

  /// The folder backups go to: `--to` when given, else `backups/<cluster>` beside the inventory.
  public static func defaultDirectory(inventory: Inventory, override: String?) -> String {
    if let override { return override }
    let inventoryFolder = URL(fileURLWithPath: inventory.file).deletingLastPathComponent().path
    return "\(inventoryFolder)/backups/\(inventory.cluster.name)"
  }

  public var directory: String { Self.defaultDirectory(inventory: inventory, override: options.directory) }

  /// Takes the backup; prints progress through `say`. Returns the manifest of the new backup.
  /// - Parameter view: the cluster as the caller just observed it; observed here (waiting out an election)
  ///   when nil. The snapshot comes from its leader, or from `options.member`.
  public func run(view: ClusterView? = nil, say: @Sendable (String) -> Void) async throws(OpsError) -> BackupManifest {
    let observed: ClusterView
    if let view { observed = view } else { observed = try await ClusterView.observe(inventory) }
    let (source, status) = try source(in: observed)
    let name = source.host?.name ?? source.displayName
    let client: EtcdClient
    do {
      client = try ClusterProbe(inventory: inventory).client(endpoints: [source.endpoint ?? ""], callTimeout: .seconds(10))
    } catch {
      throw .connectionFailed(host: name, message: error.description)
    }
    return try await client.closing { client async throws(OpsError) -> BackupManifest in
      try await take(from: source, named: name, status: status, connection: client.connections[0], view: observed, say: say)
    }
  }

  /// The member to snapshot: `options.member`, else the leader; it must have answered Status.
  private func source(in view: ClusterView) throws(OpsError) -> (ClusterView.Entry, EndpointStatus) {
    let wanted: ClusterView.Entry?
    if let member = options.member {
      wanted = view.entries.first { $0.host?.name == member } ?? view.entries.first { $0.member.name == member }
    } else {
      wanted = view.leader
    }
    guard let entry = wanted, let status = entry.status, entry.endpoint != nil else {
      let reason = options.member.map { "member \($0) is not a member of the cluster or not reachable" }
        ?? "no reachable member reports itself leader; check `swetcd-ops status`"
      throw .connectionFailed(host: inventory.cluster.name, message: "cannot take a backup: \(reason)")
    }
    return (entry, status)
  }

  private func take(from source: ClusterView.Entry, named sourceName: String, status: EndpointStatus, connection: EtcdConnection,
                    view: ClusterView, say: @Sendable (String) -> Void) async throws(OpsError) -> BackupManifest {
    var versions: [String: String] = [:]
    for entry in view.entries {
      if let version = entry.status?.version { versions[entry.host?.name ?? entry.displayName] = version }
    }
    let now = Date()
    let folder = directory
    let incoming = "\(folder)/.\(inventory.cluster.name)-\(Int(now.timeIntervalSince1970)).incoming"
    say("taking a snapshot from \(sourceName) (\(status.isLeader ? "leader" : "member"), revision \(status.revision)) into \(folder)")
    let saved: SavedSnapshot
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      saved = try await connection.saveSnapshot(to: incoming)
    } catch let error as EtcdClientError {
      throw .fileFailed(host: sourceName, path: folder, message: error.description)
    } catch {
      throw .fileFailed(host: "controller", path: folder, message: "\(error)")
    }
    // etcd 3.4 sends no header with snapshot chunks: the revision comes from the database itself when verified,
    // else from Status taken just before the snapshot (a lower bound).
    var revision = saved.revision != 0 ? saved.revision : status.revision
    var verifiedKeys: Int?
    if options.verify {
      do {
        let (keys, databaseRevision) = try await SnapshotVerifier(ctl: ctlBinary).verifyInBackground(path: incoming)
        verifiedKeys = keys
        revision = databaseRevision
        say("verified: restored into a scratch data dir, \(keys) keys at revision \(databaseRevision)")
      } catch {
        unlink(incoming)
        throw error
      }
    }
    // The database's own revision (when the ctl binary can read it), then the live keys and HashKV at exactly
    // that revision: what a restore of this file must give back.
    var exactRevision = options.verify
    if !exactRevision, let read = try? await SnapshotVerifier(ctl: ctlBinary).statusInBackground(path: incoming) {
      revision = read.revision
      exactRevision = true
    }
    var keys: Int64?
    var hash: UInt32?
    if exactRevision {
      keys = try? await connection.countKeys(revision: revision).count
      hash = try? await connection.hashKV(revision: revision).hash
      if let keys { say("\(keys) keys at revision \(revision)\(hash.map { ", HashKV \($0)" } ?? "")") }
    }
    let name = BackupRetention.fileName(cluster: inventory.cluster.name, date: now, revision: revision)
    let path = "\(folder)/\(name)"
    guard rename(incoming, path) == 0 else {
      throw .fileFailed(host: "controller", path: path, message: "cannot rename the snapshot into place (errno \(errno))")
    }
    let manifest = BackupManifest(
      cluster: inventory.cluster.name, server: inventory.cluster.server.rawValue,
      created: ISO8601DateFormatter().string(from: now), file: name, revision: revision,
      takenFrom: sourceName, takenFromID: etcdIDString(status.memberID),
      members: view.entries.map(\.member).map {
        .init(name: $0.name, id: etcdIDString($0.id), peerURLs: $0.peerURLs, clientURLs: $0.clientURLs, isLearner: $0.isLearner)
      },
      versions: versions, databaseSHA256: saved.databaseSHA256, databaseBytes: saved.databaseBytes,
      fileSHA256: SHA256Hex.ofFile(path) ?? "", fileBytes: (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0,
      verifiedKeys: verifiedKeys, keys: keys, hashKV: hash)
    say("saved \(path) (\(manifest.fileBytes) bytes, revision \(revision), database sha256 \(saved.databaseSHA256.prefix(16))...)")
    do {
      try AtomicFile.write(try manifest.encoded(), to: BackupManifest.path(forSnapshot: path), mode: 0o600)
    } catch {
      throw .fileFailed(host: "controller", path: path, message: "cannot write the manifest: \(error)")
    }
    for old in applyRetention(in: folder, now: now) { say("retention: removed \(old)") }
    return manifest
  }

  /// The ctl binary that can read and restore snapshots for this server.
  var ctlBinary: String {
    inventory.localCtlBinary(binaryDirectory: binaryDirectory)
  }

  private func applyRetention(in folder: String, now: Date) -> [String] {
    guard options.keep != nil || options.maxAgeDays != nil else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    let doomed = BackupRetention.expired(names, cluster: inventory.cluster.name, keep: options.keep,
                                         maxAge: options.maxAgeDays.map { TimeInterval($0) * 86_400 }, now: now)
    for name in doomed {
      unlink("\(folder)/\(name)")
      unlink(BackupManifest.path(forSnapshot: "\(folder)/\(name)"))
    }
    return doomed
  }
}

/// Checks a snapshot the way a restore would: the ctl binary reads its status and restores it into a scratch
/// data dir (which checks the SHA-256 trailer), and the key count is read back.
struct SnapshotVerifier: Sendable {
  let ctl: String

  /// How long the ctl binary may take to read and test-restore a snapshot.
  static let timeoutSeconds = 300

  /// Returns etcdctl's TOTAL KEYS (stored key revisions) and the database's revision; throws when the snapshot
  /// does not restore. Blocks the calling thread while the ctl binary runs (async code calls
  /// `verifyInBackground`).
  func verify(path: String) throws(OpsError) -> (keys: Int, revision: Int64) {
    try read(path: path, restore: true)
  }

  /// Only reads the snapshot's status (its revision and stored key revisions), without a test restore.
  func status(path: String) throws(OpsError) -> (keys: Int, revision: Int64) {
    try read(path: path, restore: false)
  }

  /// `verify` on a thread of its own, so a restore of minutes does not hold one of Swift's few cooperative threads.
  func verifyInBackground(path: String) async throws(OpsError) -> (keys: Int, revision: Int64) {
    try await offThePool { () throws(OpsError) in try verify(path: path) }
  }

  /// `status` on a thread of its own.
  func statusInBackground(path: String) async throws(OpsError) -> (keys: Int, revision: Int64) {
    try await offThePool { () throws(OpsError) in try status(path: path) }
  }

  /// The shell that prints the snapshot's status as JSON and, with `restore`, test-restores it into `scratch`;
  /// a failed restore prints the last lines of its output to stderr and exits 3.
  static func script(ctl: String, path: String, scratch: String, restore: Bool) -> String {
    let quoted = shellQuote(path)
    var commands = """
      set -e
      ETCDCTL_API=3 \(shellQuote(ctl)) snapshot status \(quoted) -w json

      """
    if restore {
      let log = shellQuote(scratch + "/restore.log")
      commands += """
        mkdir -p \(shellQuote(scratch))
        if ! ETCDCTL_API=3 \(shellQuote(ctl)) snapshot restore \(quoted) --data-dir \(shellQuote(scratch + "/data")) --name verify --initial-cluster verify=http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 >\(log) 2>&1; then
          echo "the test restore failed; its last output lines:" >&2
          tail -n 20 \(log) >&2
          exit 3
        fi

        """
    }
    return commands
  }

  private func read(path: String, restore: Bool) throws(OpsError) -> (keys: Int, revision: Int64) {
    guard FileManager.default.isExecutableFile(atPath: ctl) else {
      throw .fileFailed(host: "controller", path: ctl, message: "cannot verify: the ctl binary is missing (set ctl_binary in the inventory)")
    }
    let scratch = NSTemporaryDirectory() + "swetcd-verify-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let command = "\(ctl) snapshot status\(restore ? "/restore" : "") \(path)"
    let outcome: SpawnedCommand.Outcome
    do {
      outcome = try SpawnedCommand.run(Self.script(ctl: ctl, path: path, scratch: scratch, restore: restore), stdin: nil,
                                       timeoutSeconds: Double(Self.timeoutSeconds))
    } catch {
      throw .commandFailed(host: "controller", command: command, status: -1, stderr: "cannot start it: \(error)")
    }
    if outcome.timedOut { throw .commandTimedOut(host: "controller", command: command, seconds: Self.timeoutSeconds) }
    let stdout = String(decoding: outcome.stdout, as: UTF8.self)
    guard outcome.status == 0 else {
      throw .commandFailed(host: "controller", command: command, status: outcome.status,
                           stderr: String(decoding: outcome.stderr, as: UTF8.self) + "\nthe snapshot does not restore: do not rely on it; take a new backup")
    }
    guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
          let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let keys = (json["totalKey"] as? NSNumber)?.intValue, let statusRevision = (json["revision"] as? NSNumber)?.int64Value
    else {
      throw .commandFailed(host: "controller", command: "\(ctl) snapshot status -w json", status: 0, stderr: "unexpected output: \(stdout.prefix(300))")
    }
    return (keys, statusRevision)
  }
}
