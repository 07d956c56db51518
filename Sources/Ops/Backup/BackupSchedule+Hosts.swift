import EtcdClient
import Foundation

extension BackupSchedule {
  /// What was found on one host before anything is changed: the schedule as its systemd reads it, and the cron
  /// line where systemd does not run.
  struct HostCheck: Sendable {
    var member: Member
    var normalized: String
    /// The cron fields, for hosts without a running systemd (nil where the timer is what runs).
    var cronFields: String?
    var warnings: [String]
    var paths: BackupSchedulePaths
  }

  /// What `schedule` did.
  public struct Outcome: Sendable {
    /// Hosts where something changed (or would change, in a dry run).
    public var changedHosts: [String]
    /// One line per host: which of the timer and the cron entry is active there.
    public var active: [String: String]
  }

  /// Puts the schedule on every target host; observes before it acts, so a re-run changes nothing.
  /// The expression is checked on every host before any host is changed.
  public func schedule(say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> Outcome {
    let spec = try BackupScheduleSpec(options.spec)
    let hosts = try targetHosts()
    let client = try Self.clientFiles(inventory)
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let members = try OpsError.collect(await connected.connectAll(hosts))
      // The expression is the same everywhere: check it on one host first, so a typo is reported once.
      var checks: [HostCheck] = []
      if let head = members.first { checks.append(try await inspect(head, spec: spec)) }
      checks += try await forEachMember(Array(members.dropFirst())) { member throws(OpsError) in try await self.inspect(member, spec: spec) }
      let checked = checks
      for check in checked {
        for warning in check.warnings { say("warning: \(check.member.name): \(warning)") }
      }
      let results = try await forEachMember(checked.map(\.member)) { member throws(OpsError) in
        let check = checked.first { $0.member.name == member.name }!
        return try await self.apply(check, spec: spec, client: client)
      }
      var outcome = Outcome(changedHosts: [], active: [:])
      for (check, (changes, active)) in zip(checked, results) {
        let name = check.member.name
        for change in changes { say("\(name): \(change)") }
        if changes.isEmpty { say("\(name): no change (schedule \(spec.text), keep \(options.keep), snapshots in \(check.paths.directory))") }
        say("\(name): active: \(active)")
        if !changes.isEmpty { outcome.changedHosts.append(name) }
        outcome.active[name] = active
      }
      await connected.closeAll()
      return outcome
    } catch {
      await connected.closeAll()
      throw error
    }
  }

  /// The controller's client certificate and key (CN root) and CA (`ClusterProbe.clientTLS`), when the cluster
  /// uses TLS.
  /// - Throws: `OpsError.refused` when they are not all there (deploy issues them).
  static func clientFiles(_ inventory: Inventory) throws(OpsError) -> (ca: String, certificate: String, key: String)? {
    guard inventory.cluster.tls else { return nil }
    let tls = ClusterProbe(inventory: inventory).clientTLS
    guard let ca = tls?.caFile, let certificate = tls?.certFile, let key = tls?.keyFile,
          [ca, certificate, key].allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
      throw .refused(reason: "the tool's client certificate is not in \(inventory.cluster.pkiDirectory)/client (the backup script needs it to reach the members over TLS); run `swetcd-ops deploy` first")
    }
    return (ca, certificate, key)
  }

  /// Checks the expression with the host's `systemd-analyze calendar`, that the ctl binary is there, and, where
  /// systemd does not run, that the schedule can be a cron line. Changes nothing.
  func inspect(_ member: Member, spec: BackupScheduleSpec) async throws(OpsError) -> HostCheck {
    let paths = BackupSchedulePaths(host: member.host, cluster: inventory.cluster)
    let analyzed = try await member.connection.run(
      "command -v systemd-analyze >/dev/null 2>&1 || exit 127; LC_ALL=C \(spec.validationCommand)", stdin: nil, timeout: .seconds(30))
    let normalized: String
    switch analyzed.status {
    case 0:
      guard let form = BackupScheduleSpec.normalizedForm(fromAnalyzeOutput: analyzed.stdout) else {
        throw .commandFailed(host: member.name, command: spec.validationCommand, status: 0,
                             stderr: "no \"Normalized form:\" in its output: \(analyzed.stdout.prefix(300))")
      }
      normalized = form
    case 127:
      guard let known = spec.knownNormalizedForm else {
        throw .refused(reason: "\(member.name) has no systemd-analyze to check the schedule \"\(spec.text)\"; install systemd there or use hourly, daily or weekly")
      }
      normalized = known
    default:
      let detail = (analyzed.stderr + analyzed.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
      throw .refused(reason: "\"\(spec.text)\" is not a schedule systemd accepts (\(member.name): \(detail)); give hourly, daily, weekly or an OnCalendar expression such as \"*-*-* 02:30\" or \"Mon..Fri 03:00\" (see `man systemd.time`)")
    }
    let ctl = member.paths.ctlBinary
    let present = try await member.connection.run("test -x \(shellQuote(ctl))", stdin: nil, timeout: .seconds(30))
    guard present.status == 0 else {
      throw .refused(reason: "\(member.name) has no \(ctl), which the backup script runs; run `swetcd-ops deploy` first (it pushes the ctl binary)")
    }
    var check = HostCheck(member: member, normalized: normalized, cronFields: nil, warnings: [], paths: paths)
    if !member.facts.systemdRunning {
      switch CronSchedule.fields(fromNormalized: normalized) {
      case .success(let fields): check.cronFields = fields
      case .failure(let problem):
        throw .refused(reason: "\(member.name) runs no systemd, so the schedule must also be a cron line, which \"\(normalized)\" cannot be: \(problem.reason); choose an expression cron can express, such as daily or \"*-*-* 02:30\"")
      }
      let cron = try await member.connection.run("command -v cron || command -v crond", stdin: nil, timeout: .seconds(30))
      if cron.status != 0 {
        check.warnings.append("no cron daemon is installed, so the cron entry \(paths.cronFile) will not run until one is (e.g. apt-get install cron)")
      }
    }
    return check
  }

  /// Renders and writes what differs, verifies the units and activates the timer where systemd runs.
  /// - Returns: what changed, and which mechanism is active on the host.
  func apply(_ check: HostCheck, spec: BackupScheduleSpec,
             client: (ca: String, certificate: String, key: String)?) async throws(OpsError) -> ([String], String) {
    let member = check.member, paths = check.paths, connection = member.connection
    var changes: [String] = []
    if let client {
      for (local, remote, mode) in [(client.ca, paths.caCertificate, 0o644), (client.certificate, paths.clientCertificate, 0o644),
                                    (client.key, paths.clientKey, 0o600)] {
        guard let data = FileManager.default.contents(atPath: local) else {
          throw .fileFailed(host: "controller", path: local, message: "cannot be read; run `swetcd-ops deploy` to (re)issue it")
        }
        if try await member.writeIfChanged(data, to: remote, mode: mode, owner: nil, dryRun: options.dryRun) {
          changes.append("\(options.dryRun ? "would push" : "pushed") \(remote)\(mode == 0o600 ? " (mode 0600)" : "")")
        }
      }
    }
    var unitsChanged = false
    for file in try render(host: member.host, spec: spec, cronFields: check.cronFields) {
      let current = try await connection.readFile(file.path).map { String(decoding: $0, as: UTF8.self) }
      guard current != file.content else { continue }
      if file.path == paths.serviceUnit || file.path == paths.timerUnit { unitsChanged = true }
      if options.dryRun {
        let diff = UnifiedDiff.render(old: current ?? "", new: file.content,
                                      oldLabel: "\(member.name):\(file.path)\(current == nil ? " (new file)" : "")",
                                      newLabel: "\(member.name):\(file.path) (rendered)")
        changes.append("would write \(file.path)\n\(diff)")
      } else {
        try await connection.writeFile(Data(file.content.utf8), to: file.path, mode: file.mode, owner: nil)
        changes.append("wrote \(file.path)")
      }
    }
    if check.cronFields == nil, try await connection.readFile(paths.cronFile) != nil {
      // systemd runs here now: a cron entry left from before would take every snapshot twice.
      if !options.dryRun { try await connection.check("rm -f \(shellQuote(paths.cronFile))") }
      changes.append("\(options.dryRun ? "would remove" : "removed") \(paths.cronFile) (the systemd timer runs the schedule here)")
    }
    if !options.dryRun { try await verifyUnits(member, paths) }
    guard member.facts.systemdRunning else {
      return (changes, "cron entry \(paths.cronFile) (\(check.cronFields ?? "")): systemd is not running here; the timer and service are installed and verified for when it is")
    }
    let timer = shellQuote(paths.timerName)
    let enabled = try await connection.run("systemctl is-enabled \(timer)", stdin: nil, timeout: .seconds(30))
    let active = try await connection.run("systemctl is-active \(timer)", stdin: nil, timeout: .seconds(30))
    let isEnabled = enabled.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "enabled"
    let isActive = active.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "active"
    if !isEnabled || !isActive {
      if !options.dryRun { try await connection.check(Self.enableCommand(paths, local: member.host.connection == .local)) }
      changes.append("\(options.dryRun ? "would enable and start" : "enabled and started") \(paths.timerName)")
    } else if unitsChanged {
      if !options.dryRun { try await connection.check("systemctl daemon-reload && systemctl restart \(timer)") }
      changes.append("\(options.dryRun ? "would restart" : "reloaded and restarted") \(paths.timerName)")
    }
    return (changes, "systemd timer \(paths.timerName) (OnCalendar=\(spec.onCalendar), normalized \(check.normalized))")
  }

  /// Enables and starts the timer. Remote hosts keep the units in /etc/systemd/system, where systemctl finds them
  /// by name; a local host keeps them in its config_dir, which systemctl does not search, so the service is
  /// linked and the timer enabled by their full paths (systemctl then finds both by name, and `disable` undoes it).
  static func enableCommand(_ paths: BackupSchedulePaths, local: Bool) -> String {
    guard local else { return "systemctl daemon-reload && systemctl enable --now \(shellQuote(paths.timerName))" }
    return "systemctl daemon-reload && systemctl link \(shellQuote(paths.serviceUnit)) && systemctl enable --now \(shellQuote(paths.timerUnit))"
  }

  /// `systemd-analyze verify` on both units where the host has it (also where systemd is not running); a
  /// complaint about either fails the host.
  func verifyUnits(_ member: Member, _ paths: BackupSchedulePaths) async throws(OpsError) {
    let output = try await member.connection.run(
      "command -v systemd-analyze >/dev/null || exit 0; systemd-analyze verify \(shellQuote(paths.serviceUnit)) \(shellQuote(paths.timerUnit)) 2>&1 | grep -F -e \(shellQuote(paths.serviceName + ":")) -e \(shellQuote(paths.timerName + ":")); true",
      stdin: nil, timeout: .seconds(60))
    let complaints = output.stdout.split(separator: "\n")
    guard complaints.isEmpty else {
      throw .commandFailed(host: member.name, command: "systemd-analyze verify \(paths.serviceUnit) \(paths.timerUnit)", status: 1,
                           stderr: complaints.joined(separator: "\n") + "\nfix the templates (templates/backup.service, templates/backup.timer) or the schedule")
    }
  }

  // MARK: unschedule

  /// Removes the timer, service, script, cron entry and client certificate from every target host after
  /// confirmation; the snapshots already taken stay. Returns the hosts where something was (or would be) removed.
  public func unschedule(confirmation: Confirmation, say: @escaping @Sendable (String) -> Void) async throws(OpsError) -> [String] {
    let hosts = try targetHosts()
    let connected = ConnectedMembers(inventory: inventory, binaryDirectory: binaryDirectory, acceptNewHostKeys: options.acceptNewHostKeys)
    do throws(OpsError) {
      let members = try OpsError.collect(await connected.connectAll(hosts))
      let found = try await forEachMember(members) { member throws(OpsError) -> [String] in
        let paths = BackupSchedulePaths(host: member.host, cluster: self.inventory.cluster)
        let listing = try await member.connection.run(
          paths.managedFiles.map { "[ -e \(shellQuote($0)) ] && echo \(shellQuote($0))" }.joined(separator: "; ") + "; true",
          stdin: nil, timeout: .seconds(30))
        return listing.stdout.split(separator: "\n").map(String.init)
      }
      let planned = zip(members, found).filter { !$0.1.isEmpty }
      guard !planned.isEmpty else {
        say("nothing to remove: no scheduled backup on \(hosts.map(\.name).joined(separator: ", "))")
        await connected.closeAll()
        return []
      }
      for (member, files) in planned { say("\(options.dryRun ? "would remove" : "will remove") from \(member.name): \(files.joined(separator: ", "))") }
      say("snapshots already taken stay in \(inventory.cluster.backupDirectory) on each host")
      if options.dryRun {
        await connected.closeAll()
        return planned.map(\.0.name)
      }
      try confirmation.require("remove the scheduled backups of cluster \(inventory.cluster.name) from \(planned.map(\.0.name).joined(separator: ", "))")
      _ = try await forEachMember(planned.map(\.0)) { member throws(OpsError) in
        let files = found[members.firstIndex { $0.name == member.name }!]
        let paths = BackupSchedulePaths(host: member.host, cluster: self.inventory.cluster)
        var script = ""
        if member.facts.systemdRunning {
          script += "systemctl disable --now \(shellQuote(paths.timerName)) >/dev/null 2>&1 || true\n"
          // On a local host the service was linked into systemd's folder (see `enableCommand`): unlink it too.
          if member.host.connection == .local { script += "systemctl disable \(shellQuote(paths.serviceName)) >/dev/null 2>&1 || true\n" }
        }
        script += "rm -f \(files.map(shellQuote).joined(separator: " "))\n"
        if member.facts.systemdRunning { script += "systemctl daemon-reload\n" }
        try await member.connection.check(script)
        say("\(member.name): removed \(files.joined(separator: ", "))")
      }
      await connected.closeAll()
      return planned.map(\.0.name)
    } catch {
      await connected.closeAll()
      throw error
    }
  }
}
