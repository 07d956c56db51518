import Foundation

/// The server process a member's service manager runs, seen from its host: its PID and the SHA-256 of the
/// executable it was started from. `/proc/PID/exe` still reads the old build after a new binary was pushed over
/// the file, so this tells "pushed" apart from "running", and an upgrade re-run skips exactly the members that
/// already run the new build.
struct RunningServer: Sendable, Hashable {
  var pid: String
  var sha256: String

  /// The shell that prints `PID SHA256` of the running server, or nothing when it does not run.
  static func probeCommand(kind: ServiceChoice, serviceName: String, paths: MemberPaths) -> String {
    let findPID: String
    switch kind {
    case .systemd:
      findPID = "c=$(systemctl show -p MainPID --value \(shellQuote(serviceName)) 2>/dev/null); [ \"$c\" = 0 ] && c="
    default:
      // The supervisor's child is the server (the subshell execs it).
      findPID = "p=$(cat \(shellQuote(paths.supervisorPID)) 2>/dev/null); c=; [ -n \"$p\" ] && c=$(pgrep -P \"$p\" | head -n 1)"
    }
    return """
      \(findPID)
      [ -n "$c" ] || exit 0
      h=$(sha256sum /proc/$c/exe 2>/dev/null | cut -d' ' -f1)
      [ -n "$h" ] || h=$(sha256sum \(shellQuote(paths.serverBinary)) 2>/dev/null | cut -d' ' -f1)
      echo "$c $h"
      """
  }

  /// Parses the probe's output (`PID SHA256`).
  static func parse(_ output: String) -> RunningServer? {
    let fields = output.split(whereSeparator: \.isWhitespace)
    guard fields.count == 2, Int(fields[0]) != nil, fields[1].count == 64 else { return nil }
    return RunningServer(pid: String(fields[0]), sha256: String(fields[1]))
  }

  /// The member's running server, or nil when it does not run.
  static func of(_ member: Member) async throws(OpsError) -> RunningServer? {
    let service = member.service
    let command = probeCommand(kind: service.kind, serviceName: member.host.node.serviceName, paths: member.paths)
    let output = try await member.connection.run(command, stdin: nil, timeout: .seconds(60))
    return parse(output.stdout)
  }
}
