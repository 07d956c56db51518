/// How the membership and restore commands run.
public struct MembershipOptions: Sendable {
  /// Print the plan (with the quorum arithmetic) and change nothing.
  public var dryRun = false
  /// Asks before destructive steps (`--yes` skips it).
  public var confirmation: Confirmation
  /// Record unknown host keys in known_hosts.
  public var acceptNewHostKeys = false
  /// Take a verified snapshot before changing the membership (on by default; `--no-backup`).
  public var backupFirst = true
  /// Where that snapshot goes (default: backups/<cluster> beside the inventory).
  public var backupDirectory: String?
  /// How long to wait for members to be healthy.
  public var healthTimeout: Duration = .seconds(120)
  /// How long a new learner may take to catch up with the leader's log before it is rolled back.
  public var catchUpTimeout: Duration = .seconds(300)
  /// Where this tool's own executables are (default swetcd/swetcdctl binaries).
  public var binaryDirectory: String
  /// A templates folder to render instead of the shipped one.
  public var templatesDirectory: String?

  public init(binaryDirectory: String, confirmation: Confirmation) {
    self.binaryDirectory = binaryDirectory
    self.confirmation = confirmation
  }
}
