import Foundation

/// `swetcd-ops backup --schedule`: a systemd timer + oneshot service (and, where systemd does not run, a cron
/// entry) on each host that snapshots the member into a folder on that host and keeps the newest N.
public struct BackupSchedule: Sendable {
  public struct Options: Sendable {
    /// `hourly`, `daily`, `weekly` or an OnCalendar expression.
    public var spec = "daily"
    /// Snapshots kept per host.
    public var keep = 7
    /// Hosts to act on (nil: every member).
    public var hosts: [String]?
    /// Show diffs and what would be removed; change nothing.
    public var dryRun = false
    /// Record unknown host keys instead of refusing them.
    public var acceptNewHostKeys = false

    public init() {}
  }

  public let inventory: Inventory
  public let options: Options
  public let templates: TemplateSet
  /// Where this tool's own executables are (for the default swetcdctl).
  public let binaryDirectory: String

  public init(inventory: Inventory, options: Options, templates: TemplateSet, binaryDirectory: String) {
    self.inventory = inventory
    self.options = options
    self.templates = templates
    self.binaryDirectory = binaryDirectory
  }

  /// The hosts the command acts on, in inventory order.
  /// - Throws: `OpsError.refused` naming hosts that are not in the inventory.
  public func targetHosts() throws(OpsError) -> [HostSpec] {
    try inventory.selectHosts(named: options.hosts, flag: "--on")
  }
}

/// Where one host's scheduled-backup files live.
public struct BackupSchedulePaths: Sendable, Hashable {
  /// `etcd-backup.service`, `etcd-backup.timer`.
  public var serviceName: String
  public var timerName: String
  public var serviceUnit: String
  public var timerUnit: String
  /// The script both the service and the cron entry run.
  public var script: String
  public var cronFile: String
  /// Where the cron entry's output goes (the timer's goes to the journal).
  public var log: String
  /// The tool's client certificate, pushed for the script to reach the member over TLS.
  public var clientCertificate: String
  public var clientKey: String
  public var caCertificate: String
  /// The folder the snapshots go to (`backup_dir`).
  public var directory: String

  public init(host: HostSpec, cluster: ClusterSpec) {
    let node = host.node
    let member = MemberPaths(host: host, server: cluster.server)
    serviceName = "\(node.serviceName)-backup.service"
    timerName = "\(node.serviceName)-backup.timer"
    // Like the member's unit: on a local host everything stays inside its folders.
    let unitFolder = host.connection == .local ? node.configDirectory : "/etc/systemd/system"
    serviceUnit = "\(unitFolder)/\(serviceName)"
    timerUnit = "\(unitFolder)/\(timerName)"
    script = "\(node.binDirectory)/\(node.serviceName)-backup"
    // cron ignores /etc/cron.d files whose names hold a dot.
    let cronName = "swetcd-backup-" + cluster.name.replacingOccurrences(of: ".", with: "_")
    cronFile = host.connection == .local ? "\(node.configDirectory)/\(cronName)" : "/etc/cron.d/\(cronName)"
    log = "\(node.logDirectory)/\(node.serviceName)-backup.log"
    clientCertificate = "\(member.pkiDirectory)/backup-client.crt"
    clientKey = "\(member.pkiDirectory)/backup-client.key"
    caCertificate = member.caCertificate
    directory = cluster.backupDirectory
  }

  /// Every file the schedule puts on the host (what `--unschedule` removes; the snapshots stay).
  public var managedFiles: [String] { [timerUnit, serviceUnit, script, cronFile, clientCertificate, clientKey] }
}

/// One file of the schedule, rendered for one host.
public struct ScheduledFile: Sendable, Hashable {
  public var template: String
  public var path: String
  public var mode: Int
  public var content: String
}

extension BackupSchedule {
  /// The values the backup templates see: the member's (as in `templates/etcd.service`) plus `backup`.
  /// - Parameter cronFields: the five cron fields (the cron template is not rendered without them).
  public static func context(inventory: Inventory, host: HostSpec, spec: BackupScheduleSpec, keep: Int,
                             cronFields: String?) -> [String: Any] {
    var context = RenderContext.make(inventory: inventory, host: host, members: inventory.hosts, state: .new)
    let paths = BackupSchedulePaths(host: host, cluster: inventory.cluster)
    let member = MemberPaths(host: host, server: inventory.cluster.server)
    context["backup"] = [
      "schedule": spec.text,
      "on_calendar": spec.onCalendar,
      "randomized_delay_seconds": spec.randomizedDelaySeconds,
      "keep": keep,
      "directory": paths.directory,
      "script": paths.script,
      "service_name": paths.serviceName,
      "timer_name": paths.timerName,
      "cron_file": paths.cronFile,
      "cron_schedule": cronFields ?? "",
      "log_file": paths.log,
      "ctl": member.ctlBinary,
      "endpoint": host.clientURL(tls: inventory.cluster.tls),
      "ca": paths.caCertificate,
      "cert": paths.clientCertificate,
      "key": paths.clientKey,
    ] as [String: Any]
    return context
  }

  /// Renders the script and both units for `host`, plus the cron entry when `cronFields` is given.
  public func render(host: HostSpec, spec: BackupScheduleSpec, cronFields: String?) throws(OpsError) -> [ScheduledFile] {
    let paths = BackupSchedulePaths(host: host, cluster: inventory.cluster)
    let context = Self.context(inventory: inventory, host: host, spec: spec, keep: options.keep, cronFields: cronFields)
    var files: [(String, String, Int)] = [
      ("backup.sh", paths.script, 0o755), ("backup.service", paths.serviceUnit, 0o644), ("backup.timer", paths.timerUnit, 0o644),
    ]
    if cronFields != nil { files.append(("backup.cron", paths.cronFile, 0o644)) }
    var rendered: [ScheduledFile] = []
    for (template, path, mode) in files {
      rendered.append(ScheduledFile(template: template, path: path, mode: mode, content: try templates.render(template, context)))
    }
    return rendered
  }
}
