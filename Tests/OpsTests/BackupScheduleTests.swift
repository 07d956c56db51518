import Foundation
@testable import Ops
import Testing
import TestSupport

/// Scheduled backups render a timer, its oneshot service, the script they run and a cron entry with the same
/// schedule; calendar expressions become cron lines only where cron means the same thing.
@Suite struct BackupScheduleRenderingTests {
  let templates = try! TemplateSet.locate()

  static let inventoryText = """
    cluster: { name: prod.etcd, server: etcd, binary: /usr/bin/etcd, ctl_binary: /usr/bin/etcdctl, backup_dir: /srv/etcd-backups }
    hosts:
      - { name: etcd1, address: 10.0.0.11 }
      - { name: etcd2, address: 10.0.0.12 }
    """

  func inventory(_ yaml: String = inventoryText) throws -> Inventory {
    try InventoryLoader.parse(yaml: yaml, file: "inv.yml", baseDirectory: "/srv/ops", home: "/root")
  }

  func files(spec: String, keep: Int, cron: String?) throws -> [String: String] {
    let inv = try inventory()
    var options = BackupSchedule.Options()
    options.keep = keep
    let schedule = BackupSchedule(inventory: inv, options: options, templates: templates, binaryDirectory: "/opt/swetcd/bin")
    let rendered = try schedule.render(host: inv.hosts[1], spec: try BackupScheduleSpec(spec), cronFields: cron)
    return Dictionary(uniqueKeysWithValues: rendered.map { ($0.template, $0.content) })
  }

  @Test func dailyTimerIsPersistentWithARandomDelayAndStartsTheBackupService() throws {
    let timer = try #require(try files(spec: "daily", keep: 7, cron: nil)["backup.timer"])
    let lines = Set(timer.split(separator: "\n").map(String.init))
    #expect(lines.isSuperset(of: ["[Timer]", "OnCalendar=daily", "Persistent=true", "RandomizedDelaySec=1800",
                                  "Unit=etcd-backup.service", "WantedBy=timers.target"]), "\(timer)")
    let custom = try #require(try files(spec: "Mon..Fri 02:30", keep: 7, cron: nil)["backup.timer"])
    #expect(custom.contains("\nOnCalendar=Mon..Fri 02:30\n"))
    #expect(custom.contains("\nRandomizedDelaySec=300\n"))
  }

  @Test func serviceIsAOneshotRunningTheScriptAfterTheMember() throws {
    let service = try #require(try files(spec: "hourly", keep: 7, cron: nil)["backup.service"])
    let lines = Set(service.split(separator: "\n").map(String.init))
    #expect(lines.isSuperset(of: ["Type=oneshot", "ExecStart=/usr/local/bin/etcd-backup",
                                  "After=network-online.target etcd.service"]), "\(service)")
  }

  @Test func scriptSnapshotsTheMembersOwnEndpointOverTLSAndKeepsTheGivenCount() throws {
    let script = try #require(try files(spec: "daily", keep: 3, cron: nil)["backup.sh"])
    #expect(script.hasPrefix("#!/bin/sh\n"))
    #expect(script.contains("\nkeep=3\n"))
    #expect(script.contains("\ndir=\"/srv/etcd-backups\"\n"))
    #expect(script.contains("\nprefix=\"prod.etcd-etcd2-\"\n"))
    #expect(script.contains("--endpoints=\"https://10.0.0.12:2379\""))
    #expect(script.contains("--cacert=\"/etc/swetcd/pki/ca.crt\" --cert=\"/etc/swetcd/pki/backup-client.crt\" --key=\"/etc/swetcd/pki/backup-client.key\""))
    #expect(script.contains("snapshot save \"$part\""))
    #expect(script.contains("\"$ctl\" snapshot status \"$part\" -w json"))
    #expect(script.contains("ctl=\"/usr/local/bin/etcdctl\""))
    let plain = try InventoryLoader.parse(yaml: Self.inventoryText.replacingOccurrences(of: "backup_dir:", with: "tls: false, backup_dir:"),
                                          file: "inv.yml", baseDirectory: "/srv/ops", home: "/root")
    let schedule = BackupSchedule(inventory: plain, options: .init(), templates: templates, binaryDirectory: "/x")
    let plainScript = try schedule.render(host: plain.hosts[0], spec: try BackupScheduleSpec("daily"), cronFields: nil)
      .first { $0.template == "backup.sh" }!.content
    #expect(!plainScript.contains("--cert="))
    #expect(plainScript.contains("--endpoints=\"http://10.0.0.11:2379\" \\\n  --dial-timeout=10s"))
    #expect(plainScript.contains("\nkeep=7\n"))
  }

  @Test func cronEntryRunsTheScriptAsRootOnTheTimersScheduleWithItsDelay() throws {
    let rendered = try files(spec: "daily", keep: 7, cron: "0 0 * * *")
    let cron = try #require(rendered["backup.cron"])
    #expect(cron.contains("\n0 0 * * * root SWETCD_BACKUP_DELAY=1800 /usr/local/bin/etcd-backup >>/var/log/swetcd/etcd-backup.log 2>&1\n"), "\(cron)")
    #expect(try files(spec: "daily", keep: 7, cron: nil)["backup.cron"] == nil, "no cron entry where the timer runs")
  }

  @Test func pathsNameTheUnitsAfterTheServiceAndTheCronFileWithoutDots() throws {
    let inv = try inventory()
    let paths = BackupSchedulePaths(host: inv.hosts[0], cluster: inv.cluster)
    #expect(paths.timerUnit == "/etc/systemd/system/etcd-backup.timer")
    #expect(paths.serviceUnit == "/etc/systemd/system/etcd-backup.service")
    #expect(paths.cronFile == "/etc/cron.d/swetcd-backup-prod_etcd")
    #expect(paths.clientKey == "/etc/swetcd/pki/backup-client.key")
    #expect(paths.directory == "/srv/etcd-backups")
  }

  @Test func unknownOnHostIsRefusedNamingTheInventoryHosts() throws {
    var options = BackupSchedule.Options()
    options.hosts = ["etcd2", "etcd9"]
    let schedule = BackupSchedule(inventory: try inventory(), options: options, templates: templates, binaryDirectory: "/x")
    #expect(throws: OpsError.self) { try schedule.targetHosts() }
    do { _ = try schedule.targetHosts() } catch { #expect(error.description.contains("etcd9") && error.description.contains("etcd1, etcd2")) }
    options.hosts = ["etcd2"]
    let one = BackupSchedule(inventory: try inventory(), options: options, templates: templates, binaryDirectory: "/x")
    #expect(try one.targetHosts().map(\.name) == ["etcd2"])
  }
}

@Suite struct BackupScheduleSpecTests {
  @Test func shorthandsAndCalendarExpressionsBecomeCronLines() {
    let cases: [(String, String)] = [
      ("*-*-* *:00:00", "0 * * * *"),
      ("*-*-* 00:00:00", "0 0 * * *"),
      ("Mon *-*-* 00:00:00", "0 0 * * 1"),
      ("Mon..Fri *-*-* 02:30:00", "30 2 * * 1-5"),
      ("Sat,Sun *-*-* 04:05:00", "5 4 * * 6,7"),
      ("*-*-* *:00/15:00", "*/15 * * * *"),
      ("*-*-* 01,13:05/20:00", "5-59/20 1,13 * * *"),
      ("*-*-01 03:00:00", "0 3 1 * *"),
      ("*-01..06-* 08..18:00:00", "0 8-18 * 1-6 *"),
    ]
    for (normalized, cron) in cases {
      #expect(CronSchedule.fields(fromNormalized: normalized) == .success(cron), "\(normalized)")
    }
  }

  @Test func expressionsCronWouldMisreadAreRefusedWithTheReason() {
    let refused: [(String, String)] = [
      ("Sat *-*-* 04:05:06", "whole minutes"),
      ("*-*-* 00:00:00 Europe/Berlin", "time zone"),
      ("2027-*-* 00:00:00", "year"),
      ("Mon *-*-01 00:00:00", "EITHER"),
      ("*-*~01 00:00:00", "date form"),
      ("Fri..Mon *-*-* 00:00:00", "wraps"),
    ]
    for (normalized, reason) in refused {
      guard case .failure(let error) = CronSchedule.fields(fromNormalized: normalized) else {
        Issue.record("\(normalized) should have no cron equivalent")
        continue
      }
      #expect(error.reason.contains(reason), "\(normalized): \(error.reason)")
    }
  }

  @Test func specsThatCannotBeAnOnCalendarValueAreRefused() {
    for bad in ["", "   ", "daily\nExecStart=/bin/evil", "02:30 'x'", "100%"] {
      #expect(throws: OpsError.self, "\(bad.debugDescription)") { _ = try BackupScheduleSpec(bad) }
    }
    #expect((try? BackupScheduleSpec("  weekly "))?.text == "weekly")
  }

  @Test func randomDelayStaysWithinThePeriod() throws {
    #expect(try BackupScheduleSpec("hourly").randomizedDelaySeconds == 300)
    #expect(try BackupScheduleSpec("daily").randomizedDelaySeconds == 1800)
    #expect(try BackupScheduleSpec("weekly").randomizedDelaySeconds == 3600)
    #expect(try BackupScheduleSpec("*:0/15").randomizedDelaySeconds == 300)
  }

  @Test func normalizedFormIsReadFromSystemdAnalyzeOutput() {
    let output = "  Original form: Mon..Fri 02:30\nNormalized form: Mon..Fri *-*-* 02:30:00\n    Next elapse: Mon 2026-11-23 02:30:00 UTC\n"
    #expect(BackupScheduleSpec.normalizedForm(fromAnalyzeOutput: output) == "Mon..Fri *-*-* 02:30:00")
    #expect(BackupScheduleSpec.normalizedForm(fromAnalyzeOutput: "Failed to parse calendar specification") == nil)
  }

  /// The shorthands' forms used where a host has no systemd-analyze are the ones systemd itself prints.
  @Test(.enabled(if: ChildProcess.which("systemd-analyze") != nil, "systemd-analyze is not installed"))
  func shorthandFormsMatchSystemdAnalyze() async throws {
    for shorthand in ["hourly", "daily", "weekly"] {
      let output = try await ChildProcess.runDetached(ChildProcess.which("systemd-analyze")!, ["calendar", shorthand], environment: ["LC_ALL": "C"])
      #expect(output.status == 0)
      let spec = try BackupScheduleSpec(shorthand)
      #expect(BackupScheduleSpec.normalizedForm(fromAnalyzeOutput: output.stdout) == spec.knownNormalizedForm)
    }
  }
}

/// The inventory's `backup_dir` says where scheduled snapshots and data-dir archives go on the hosts.
@Suite struct BackupDirectoryInventoryTests {
  func load(_ cluster: String) throws(InventoryError) -> Inventory {
    try InventoryLoader.parse(yaml: "cluster: { \(cluster) }\nhosts:\n  - { name: a, address: 10.0.0.1 }\n",
                              file: "inv.yml", baseDirectory: "/srv/ops", home: "/root")
  }

  @Test func defaultsToAFolderPerClusterUnderVarLib() throws {
    #expect(try load("name: prod").cluster.backupDirectory == "/var/lib/swetcd-backups/prod")
    #expect(try load("name: prod, backup_dir: /mnt/backups/etcd").cluster.backupDirectory == "/mnt/backups/etcd")
  }

  @Test func relativeBackupDirIsAnErrorNamingTheField() {
    do {
      _ = try load("name: prod, backup_dir: backups")
      Issue.record("a relative backup_dir must be refused")
    } catch {
      #expect(error.errors.map(\.description).contains { $0.contains("cluster.backup_dir") && $0.contains("absolute path") },
              "\(error.errors.map(\.description))")
    }
  }
}

/// The data-dir copy stops only a member the others can do without.
@Suite struct DataDirCopyPlanTests {
  func member(_ name: String, leader: Bool = false, healthy: Bool = true, index: UInt64 = 100, voter: Bool = true,
              inInventory: Bool = true) -> DataDirCandidate {
    DataDirCandidate(name: name, isVoter: voter, isLeader: leader, isHealthy: healthy, raftIndex: index, inInventory: inInventory)
  }

  @Test func picksTheHealthyFollowerFurthestAheadNeverTheLeader() throws {
    let members = [member("h1", leader: true, index: 120), member("h2", index: 90), member("h3", index: 110)]
    #expect(try DataDirCopyPlan.choose(members, requested: nil).name == "h3")
    let withLearner = [member("h1", leader: true), member("h2", index: 80), member("h3", index: 70), member("l1", index: 500, voter: false)]
    #expect(try DataDirCopyPlan.choose(withLearner, requested: nil).name == "h2", "voters before learners")
  }

  @Test func refusesWhenTheOthersWouldNotBeAQuorum() {
    let members = [member("h1", leader: true), member("h2"), member("h3", healthy: false)]
    do {
      _ = try DataDirCopyPlan.choose(members, requested: nil)
      Issue.record("stopping h2 while h3 is down loses quorum")
    } catch {
      #expect(error.description.contains("stopping h2 would leave 1 healthy voter (3 voters, quorum 2, tolerates 1 failure)"), "\(error)")
      #expect(error.description.contains("swetcd-ops backup"))
    }
    #expect(throws: OpsError.self) { try DataDirCopyPlan.choose([member("solo", leader: true)], requested: "solo") }
  }

  @Test func requestedMemberMustBeHealthyKnownAndReachable() throws {
    let healthy = [member("h1", leader: true), member("h2"), member("h3")]
    #expect(try DataDirCopyPlan.choose(healthy, requested: "h1").name == "h1", "the leader may be copied while quorum holds")
    let members = [member("h1", leader: true), member("h2"), member("h3", healthy: false), member("x", voter: false, inInventory: false)]
    for (name, words) in [("h3", "not healthy"), ("h9", "not a member"), ("x", "not in the inventory")] {
      do {
        _ = try DataDirCopyPlan.choose(members, requested: name)
        Issue.record("\(name) must be refused")
      } catch {
        #expect(error.description.contains(words), "\(error)")
      }
    }
  }

  @Test func learnersDoNotCountTowardsQuorum() throws {
    let members = [member("h1", leader: true), member("l1", voter: false)]
    #expect(try DataDirCopyPlan.choose(members, requested: nil).name == "l1", "a learner can go: 1 of 1 voters stays")
    #expect(DataDirCopyPlan.quorumLine(members, stopping: "l1") == "while l1 is down: 1 of 1 voters healthy, quorum 1")
  }

  @Test func archiveHoldsTheWalDirOnlyWhenItLiesOutsideTheDataDir() {
    #expect(DataDirCopy.archivedFolders(dataDirectory: "/var/lib/etcd", walDirectory: nil) == ["/var/lib/etcd"])
    #expect(DataDirCopy.archivedFolders(dataDirectory: "/var/lib/etcd", walDirectory: "/var/lib/etcd/member/wal") == ["/var/lib/etcd"])
    #expect(DataDirCopy.archivedFolders(dataDirectory: "/var/lib/etcd", walDirectory: "/wal/etcd") == ["/var/lib/etcd", "/wal/etcd"])
    let command = DataDirCopy.archiveCommand(folders: ["/var/lib/etcd", "/wal/etcd"], folder: "/b", name: "c-x-datadir.tar.gz")
    #expect(command.contains("\npart='/b/.c-x-datadir.tar.gz.part'\n"))
    #expect(command.contains("tar --create --gzip --numeric-owner --file \"$part\" -C / -- 'var/lib/etcd' 'wal/etcd'"))
    #expect(command.contains("mv -f \"$part\" '/b/c-x-datadir.tar.gz'"))
    #expect(DataDirCopy.archiveName(cluster: "prod", date: Date(timeIntervalSince1970: 0), host: "h2") == "prod-19700101T000000Z-h2-datadir.tar.gz")
  }
}

/// The rendered backup script, run as cron would run it against a real etcd 3.4 on loopback: it saves snapshots
/// the real etcdctl accepts and keeps only the newest N.
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup"))
struct BackupScriptTests {
  @Test func scriptRunThreeTimesWithKeepTwoLeavesTheTwoNewestValidSnapshots() async throws {
    let etcd = try await RealEtcd.start(name: "s1")
    let workspace = makeTemporaryDirectory("backup-script")
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    let bin = "\(workspace)/bin", backups = "\(workspace)/backups"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: "\(bin)/etcdctl", withDestinationPath: RealEtcd.etcdctl!)
    let port = etcd.clientURL.split(separator: ":").last!, peer = etcd.peerURL.split(separator: ":").last!
    let inventory = try InventoryLoader.parse(yaml: """
      cluster: { name: loc, server: etcd, binary: /usr/bin/etcd, ctl_binary: /usr/bin/etcdctl, tls: false, backup_dir: \(backups) }
      hosts:
        - { name: s1, address: 127.0.0.1, connection: local, client_port: \(port), peer_port: \(peer), bin_dir: \(bin) }
      """, file: "inv.yml", baseDirectory: workspace, home: workspace)
    var options = BackupSchedule.Options()
    options.keep = 2
    let schedule = BackupSchedule(inventory: inventory, options: options, templates: try TemplateSet.locate(), binaryDirectory: bin)
    let script = try #require(try schedule.render(host: inventory.hosts[0], spec: try BackupScheduleSpec("daily"), cronFields: nil)
      .first { $0.template == "backup.sh" })
    try script.content.write(toFile: script.path, atomically: true, encoding: .utf8)
    chmod(script.path, 0o755)
    var runs: [ProcessOutput] = []
    var firstSnapshots: [String] = []
    for _ in 0..<3 {
      // Through its interpreter (the script's #!/bin/sh), not exec'ed: another test spawning a process at the moment
      // the script was written can inherit the writer's descriptor, and exec then fails with "Text file busy".
      runs.append(try await ChildProcess.runDetached(
        "/usr/bin/env", ["-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", script.path], timeout: 60))
      // Read without throwing: a failed run is reported with its output below.
      if firstSnapshots.isEmpty { firstSnapshots = (try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? [] }
    }
    await etcd.stopped()
    for run in runs { #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)") }
    try #require(firstSnapshots.count == 1, "the first run left \(firstSnapshots)")
    #expect(runs[2].stdout.contains("retention removed \(backups)/\(firstSnapshots.first ?? "?")"), "\(runs[2].stdout)")
    let left = try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
    #expect(left.count == 2, "\(left)")
    #expect(!left.contains(firstSnapshots.first ?? ""), "the oldest snapshot is the one removed")
    for name in left {
      #expect(name.hasPrefix("loc-s1-") && name.hasSuffix("Z.db"), "\(name)")
      let status = try await ChildProcess.runDetached(RealEtcd.etcdctl!, ["snapshot", "status", "\(backups)/\(name)", "-w", "json"], environment: ["ETCDCTL_API": "3"])
      #expect(status.status == 0 && status.stdout.contains("\"revision\""), "\(status.stderr)")
      let mode = try FileManager.default.attributesOfItem(atPath: "\(backups)/\(name)")[.posixPermissions] as? Int
      #expect(mode == 0o600)
    }
  }
}

/// The flags of the new modes are checked before anything is read or connected: usage errors exit 2.
@Suite struct BackupScheduleCommandLineTests {
  func ops(_ arguments: [String]) async throws -> ProcessOutput {
    try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"), ["backup"] + arguments, environment: ["PATH": "/usr/bin:/bin"])
  }

  @Test func conflictingModesAndMisplacedFlagsExitTwoSayingWhy() async throws {
    let cases: [([String], String)] = [
      (["inv.yml", "--schedule", "daily", "--data-dir-copy"], "cannot be combined"),
      (["inv.yml", "--unschedule", "--data-dir-copy"], "cannot be combined"),
      (["inv.yml", "--on", "h1"], "--on applies to --schedule and --unschedule"),
      (["inv.yml", "--dry-run"], "--dry-run applies to"),
      (["inv.yml", "--schedule", "daily", "--verify"], "--verify and --max-age-days apply"),
      (["inv.yml", "--schedule", "daily", "--member", "h1"], "use --on HOST"),
      (["inv.yml", "--schedule", " "], "--schedule needs"),
      (["inv.yml", "--schedule", "daily", "--keep", "0"], "--keep must be at least 1"),
    ]
    for (arguments, message) in cases {
      let output = try await ops(arguments)
      #expect(output.status == 2, "\(arguments): \(output.stderr)")
      #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
    }
  }

  @Test func unknownHostsAreInventoryErrorsThatExitTwoBeforeConnecting() async throws {
    let workspace = makeTemporaryDirectory("backup-cli")
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    try "cluster: { name: c, tls: false }\nhosts:\n  - { name: h1, address: 192.0.2.1 }\n"
      .write(toFile: "\(workspace)/inv.yml", atomically: true, encoding: .utf8)
    let schedule = try await ops(["\(workspace)/inv.yml", "--schedule", "daily", "--on", "h1,h9"])
    #expect(schedule.status == 2 && schedule.stderr.contains("--on names h9"), "\(schedule.stderr)")
    let copy = try await ops(["\(workspace)/inv.yml", "--data-dir-copy", "--member", "h9"])
    #expect(copy.status == 2 && copy.stderr.contains("--member h9 is not in the inventory"), "\(copy.stderr)")
  }
}
