import ArgumentParser
import Foundation
import Ops

/// `--dry-run` and `--health-timeout`, shared by the membership, restore and rolling commands.
struct PlanFlags: ParsableArguments {
  @Flag(help: "Print the plan with the quorum arithmetic; change nothing.") var dryRun = false
  @Option(help: "Seconds to wait for members to be healthy (and caught up) after each step.") var healthTimeout: Int = 120

  func validate() throws {
    if healthTimeout < 1 { throw ValidationError("--health-timeout must be at least 1 second") }
  }
}

/// `--accept-new-host-keys`, for the commands that reach hosts over SSH.
struct HostKeyFlags: ParsableArguments {
  @Flag(help: "Record unknown host keys in known_hosts (a changed key is always refused).") var acceptNewHostKeys = false
}

/// `--yes`, for the commands that ask before acting.
struct ConfirmationFlags: ParsableArguments {
  @Flag(help: "Do not ask for confirmation (needed when stdin is not a terminal).") var yes = false

  var confirmation: Confirmation { Confirmation(assumeYes: yes) }
}

/// `--hosts`, for the commands that may act on some members only.
struct HostFilterOption: ParsableArguments {
  @Option(help: "Only these hosts (comma-separated inventory names).") var hosts: String?

  /// The names given, or nil for every member.
  var names: [String]? { hosts.map(CommaList.parse) }
}

/// Lists given as one comma-separated value (`--on "host1, host2"`).
enum CommaList {
  /// The items, trimmed of spaces, empty ones dropped.
  static func parse(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }
}
