import Foundation
import Ops
import Testing
import TestSupport

/// `swetcd-ops backup --schedule/--unschedule` and `--data-dir-copy` against real OpenSSH test hosts running the
/// real etcd 3.4, checked with the real etcdctl and systemd-analyze on the hosts.
extension OpsEndToEndSuites {
  @Suite(.serialized, .enabled(if: deployPrerequisites == nil, "\(deployPrerequisites ?? "")"))
  struct BackupScheduleEndToEndTests {
    /// Runs `body` with 3 etcd hosts deployed, whose backups go to the folder the harness makes private per host.
    func withDeployed(_ body: (DeployScenario) async throws -> Void) async throws {
      try await DeployScenario.with(server: .etcd) { scenario in
        try scenario.writeInventory(knownHosts: scenario.hosts.knownHostsPath, extra: "  backup_dir: /opt/swetcd-backups\n")
        let deploy = try await scenario.ops("deploy")
        try #require(deploy.status == 0, "deploy failed:\n\(deploy.stdout.suffix(3000))\n\(deploy.stderr.suffix(2000))")
        try await body(scenario)
      }
    }

    @Test func scheduledBackupIsVerifiedOnTheHostKeepsTwoRealSnapshotsAndUnschedulesOnlyWhenConfirmed() async throws {
      try await withDeployed { scenario in
        let host2 = scenario.hosts.hosts[1]
        let units = ["/etc/systemd/system/etcd-backup.service", "/etc/systemd/system/etcd-backup.timer"]
        let managed = units + ["/usr/local/bin/etcd-backup", "/etc/cron.d/swetcd-backup-e2e", "/etc/swetcd/pki/backup-client.key"]

        // --dry-run shows the files as diffs and writes nothing.
        let plan = try await scenario.ops("backup", ["--schedule", "daily", "--keep", "2", "--dry-run"])
        #expect(plan.status == 0, "\(plan.stdout.suffix(3000))\n\(plan.stderr)")
        #expect(plan.stdout.contains("+++ host2:/etc/systemd/system/etcd-backup.timer (rendered)"), "\(plan.stdout.suffix(3000))")
        #expect(plan.stdout.contains("+OnCalendar=daily"))
        #expect(!FileManager.default.fileExists(atPath: host2.localPath(units[1])))

        let scheduled = try await scenario.ops("backup", ["--schedule", "daily", "--keep", "2", "--yes"])
        #expect(scheduled.status == 0, "\(scheduled.stdout.suffix(3000))\n\(scheduled.stderr)")
        #expect(scheduled.stdout.contains("host2: active: cron entry /etc/cron.d/swetcd-backup-e2e (0 0 * * *): systemd is not running here"),
                "\(scheduled.stdout.suffix(3000))")
        for host in scenario.hosts.hosts {
          for path in managed { #expect(FileManager.default.fileExists(atPath: host.localPath(path)), "\(host.name):\(path)") }
        }
        // Both units pass systemd-analyze verify on the host itself.
        let verify = try await scenario.exec(on: "host2", ["systemd-analyze", "verify"] + units)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(!verify.stderr.contains("etcd-backup."), "\(verify.stderr)")
        let timer = try String(contentsOfFile: host2.localPath(units[1]), encoding: .utf8)
        #expect(timer.contains("\nOnCalendar=daily\n") && timer.contains("\nPersistent=true\n"))
        let cron = try String(contentsOfFile: host2.localPath("/etc/cron.d/swetcd-backup-e2e"), encoding: .utf8)
        #expect(cron.contains("\n0 0 * * * root SWETCD_BACKUP_DELAY=1800 /usr/local/bin/etcd-backup "), "\(cron)")
        let keyMode = try await scenario.exec(on: "host2", ["stat", "-c", "%a %U", "/etc/swetcd/pki/backup-client.key"])
        #expect(keyMode.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "600 root")

        // Run the script three times as cron would (its environment, on the host): two snapshots stay.
        let put = try await scenario.etcdctl(["put", "/scheduled/key", "value"])
        try #require(put.status == 0, "\(put.stderr)")
        let folder = host2.localPath("/opt/swetcd-backups")
        var first: String?
        for _ in 0..<3 {
          let run = try await scenario.exec(on: "host2", ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                                         "/bin/sh", "-c", "/usr/local/bin/etcd-backup"])
          #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
          if first == nil { first = try FileManager.default.contentsOfDirectory(atPath: folder).first }
        }
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(snapshots.count == 2, "\(snapshots)")
        #expect(first != nil && !snapshots.contains(first!), "the oldest snapshot was removed")
        for name in snapshots {
          #expect(name.hasPrefix("e2e-host2-") && name.hasSuffix("Z.db"), "\(name)")
          let status = try await ChildProcess.runDetached(RealEtcd.etcdctl!, ["snapshot", "status", "\(folder)/\(name)", "-w", "json"],
                                                          environment: ["ETCDCTL_API": "3"])
          #expect(status.status == 0 && status.stdout.contains("\"totalKey\""), "\(status.stdout)\n\(status.stderr)")
        }

        // Re-running changes nothing and says so.
        let again = try await scenario.ops("backup", ["--schedule", "daily", "--keep", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("nothing changed: the schedule is already in place on host1, host2, host3"), "\(again.stdout.suffix(2000))")

        // Unscheduling asks; with stdin not a terminal and no --yes it refuses and leaves everything.
        let refused = try await scenario.ops("backup", ["--unschedule"])
        #expect(refused.status == 1, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("not confirmed") && refused.stderr.contains("stdin is not a terminal"), "\(refused.stderr)")
        for path in managed { #expect(FileManager.default.fileExists(atPath: host2.localPath(path)), "\(path) must stay") }

        let removed = try await scenario.ops("backup", ["--unschedule", "--yes"])
        #expect(removed.status == 0, "\(removed.stdout)\n\(removed.stderr)")
        for host in scenario.hosts.hosts {
          for path in managed { #expect(!FileManager.default.fileExists(atPath: host.localPath(path)), "\(host.name):\(path) must be gone") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == snapshots, "snapshots already taken stay")
      }
    }

    @Test func dataDirCopyOfAFollowerIsFetchedVerifiedAndTheClusterStaysHealthy() async throws {
      try await withDeployed { scenario in
        for index in 0..<5 {
          let put = try await scenario.etcdctl(["put", "/copy/key-\(index)", "value-\(index)"])
          try #require(put.status == 0, "\(put.stderr)")
        }
        let backups = "\(scenario.workspace)/backups"

        // Without --yes and without a terminal: refused before anything is stopped.
        let unconfirmed = try await scenario.ops("backup", ["--data-dir-copy", "--to", backups])
        #expect(unconfirmed.status == 1)
        #expect(unconfirmed.stdout.contains("voters healthy, quorum 2"), "\(unconfirmed.stdout)")
        #expect(unconfirmed.stderr.contains("not confirmed"), "\(unconfirmed.stderr)")

        let copy = try await scenario.ops("backup", ["--data-dir-copy", "--yes", "--to", backups])
        #expect(copy.status == 0, "\(copy.stdout.suffix(3000))\n\(copy.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
        let archive = try #require(files.first { $0.hasSuffix("-datadir.tar.gz") }, "\(files)")
        #expect(files.count == 2, "archive and manifest only, no partial files: \(files)")
        let manifestName = archive.replacingOccurrences(of: ".tar.gz", with: ".json")
        let manifest = try JSONDecoder().decode(DataDirManifest.self, from: Data(contentsOf: URL(fileURLWithPath: "\(backups)/\(manifestName)")))
        #expect(archive == "e2e-\(archive.dropFirst(4).prefix(16))-\(manifest.member)-datadir.tar.gz")
        #expect(manifest.file == archive && manifest.cluster == "e2e")
        #expect(manifest.revision >= 6, "the revision after 5 puts")
        let sha = try await ChildProcess.runDetached("/usr/bin/sha256sum", ["\(backups)/\(archive)"])
        #expect(sha.stdout.hasPrefix(manifest.sha256 + " "), "\(sha.stdout) vs \(manifest.sha256)")
        let size = try FileManager.default.attributesOfItem(atPath: "\(backups)/\(archive)")[.size] as? Int
        #expect(size == manifest.size)
        let listing = try await ChildProcess.runDetached("/usr/bin/tar", ["-tvzf", "\(backups)/\(archive)"])
        #expect(listing.stdout.contains(" var/lib/etcd/member/snap/db\n"), "\(listing.stdout.prefix(2000))")
        #expect(listing.stdout.contains(" var/lib/etcd/member/wal/"), "\(listing.stdout.prefix(2000))")
        #expect(listing.stdout.contains("drwx------"), "modes are kept")
        let follower = try #require(scenario.hosts.hosts.first { $0.name == manifest.member })
        let leftOnHost = try FileManager.default.contentsOfDirectory(atPath: follower.localPath("/opt/swetcd-backups"))
        #expect(leftOnHost.isEmpty, "the archive is removed from the host after the verified transfer: \(leftOnHost)")

        // The cluster is whole and healthy again.
        let health = try await scenario.etcdctl(["endpoint", "health"])
        #expect(health.status == 0 && healthyCount(health) == 3, "\(health.stderr)")
        let members = try await scenario.etcdctl(["member", "list"])
        #expect(members.stdout.split(separator: "\n").filter { $0.contains(", started, ") }.count == 3, "\(members.stdout)")
        let value = try await scenario.etcdctl(["get", "/copy/key-4", "--print-value-only"])
        #expect(value.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "value-4")

        // When the archive cannot be written, the member is started again all the same.
        try scenario.writeInventory(knownHosts: scenario.hosts.knownHostsPath, extra: "  backup_dir: /etc/hostname/cannot-be-a-folder\n")
        let failed = try await scenario.ops("backup", ["--data-dir-copy", "--member", follower.name, "--yes", "--to", backups])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("stopped at archive on \(follower.name)") && failed.stderr.contains("was started again and is healthy"),
                "\(failed.stderr)")
        let afterFailure = try await scenario.etcdctl(["endpoint", "health"])
        #expect(afterFailure.status == 0, "\(afterFailure.stderr)")
        try scenario.writeInventory(knownHosts: scenario.hosts.knownHostsPath, extra: "  backup_dir: /opt/swetcd-backups\n")

        // With one member down, stopping another would lose quorum: refused, and nothing is stopped.
        let others = scenario.hosts.hosts.filter { $0.name != follower.name }
        let down = others[0], wanted = others[1]
        let stop = try await scenario.exec(on: down.name, ["sh", "-c", "kill -TERM \"$(cat \(scenario.pidFile))\""])
        #expect(stop.status == 0, "\(stop.stderr)")
        // Until the stopped member no longer runs and the other two have a leader (both answer health).
        var lastHealth: ProcessOutput?
        let oneDown = try await eventually(within: 30) {
          let health = try await scenario.etcdctl(["endpoint", "health"])
          lastHealth = health
          return scenario.serverPID(on: down.name) == nil && healthyCount(health) == 2
            && !health.stderr.contains("https://\(down.address):2379 is healthy")
        }
        try #require(oneDown, "\(down.name) should be down and the other two healthy: \(lastHealth?.stderr ?? "")")
        let refused = try await scenario.ops("backup", ["--data-dir-copy", "--member", wanted.name, "--yes", "--to", backups])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refused: stopping \(wanted.name) would leave 1 healthy voter (3 voters, quorum 2"), "\(refused.stderr)")
        let stillUp = try await scenario.etcdctl(["endpoint", "health"])
        #expect(stillUp.stderr.contains("https://\(wanted.address):2379 is healthy"), "\(wanted.name) was not stopped: \(stillUp.stderr)")
      }
    }
  }
}
