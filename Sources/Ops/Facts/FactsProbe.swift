import Foundation

/// Gathers `HostFacts` with one shell round trip (plus a few for the clock), the same on every distribution.
public enum FactsProbe {
  /// The POSIX shell script that prints facts as `key=value` lines.
  static func script(host: HostSpec, serverBinary: String) -> String {
    let data = shellQuote(host.node.dataDirectory)
    return """
      exec 2>/dev/null
      . /etc/os-release 2>/dev/null
      echo "os_id=${ID:-unknown}"
      echo "os_version=${VERSION_ID:-unknown}"
      echo "arch=$(uname -m)"
      echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
      if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi
      for tool in nft iptables firewall-cmd ufw; do command -v $tool >/dev/null && echo "tool=$tool"; done
      if command -v firewall-cmd >/dev/null && [ "$(firewall-cmd --state)" = running ]; then echo active=firewalld; fi
      if command -v ufw >/dev/null && ufw status | grep -q 'Status: active'; then echo active=ufw; fi
      for daemon in chronyd systemd-timesyncd ntpd openntpd; do
        if pidof $daemon >/dev/null; then echo "timesync=$daemon"; break; fi
      done
      if command -v timedatectl >/dev/null && [ -d /run/systemd/system ]; then
        echo "synced=$(timedatectl show -p NTPSynchronized --value)"
      elif command -v chronyc >/dev/null && pidof chronyd >/dev/null; then
        if chronyc tracking | grep -q 'Leap status *: Normal'; then echo synced=yes; else echo synced=no; fi
      fi
      d=\(data)
      while [ ! -d "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
      echo "disk_free_kb=$(df -Pk "$d" | awk 'NR==2 {print $4}')"
      if [ ! -d \(data) ]; then echo data=absent
      elif [ -d \(data)/member/wal ] || [ -d \(data)/member/snap ]; then echo data=member
      elif [ -z "$(ls -A \(data) | grep -vx \(MembershipSteps.asideFolder))" ]; then echo data=empty
      else echo data=other; fi
      if command -v ss >/dev/null; then
        ss -Hltnp | awk '{n=split($4,a,":"); p=$0; sub(/.*users:\\(\\("/,"",p); sub(/".*/,"",p); if ($0 !~ /users:/) p="?"; print "listen=" a[n] " " p}'
      fi
      if [ -x \(shellQuote(serverBinary)) ]; then echo "version=$(\(shellQuote(serverBinary)) --version | head -n 1)"; fi
      if id \(shellQuote(host.node.serviceUser)) >/dev/null; then echo user=1; else echo user=0; fi
      echo "controller=${SSH_CLIENT%% *}"
      """
  }

  /// Parses the script's output.
  static func parse(_ output: String) -> HostFacts {
    var facts = HostFacts(hostname: "", osID: "unknown", osVersion: "unknown", architecture: "unknown",
                          systemdRunning: false, firewallTools: [], activeFirewalls: [], timeSyncDaemon: nil,
                          clockSynchronized: nil, freeDiskKilobytes: nil, dataDirectory: .absent, listeningPorts: [:],
                          installedServerVersion: nil, serviceUserExists: false, controllerAddress: nil,
                          clockOffsetMilliseconds: nil)
    let tools: [String: FirewallChoice] = ["nft": .nftables, "iptables": .iptables, "firewall-cmd": .firewalld, "ufw": .ufw]
    for line in output.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals]), value = String(line[line.index(after: equals)...])
      switch key {
      case "os_id": facts.osID = value
      case "os_version": facts.osVersion = value
      case "arch": facts.architecture = value
      case "hostname": facts.hostname = value
      case "systemd": facts.systemdRunning = value == "1"
      case "tool": if let tool = tools[value] { facts.firewallTools.insert(tool) }
      case "active": if let tool = FirewallChoice(rawValue: value) { facts.activeFirewalls.insert(tool) }
      case "timesync": facts.timeSyncDaemon = value
      case "synced": facts.clockSynchronized = value == "yes" ? true : value == "no" ? false : nil
      case "disk_free_kb": facts.freeDiskKilobytes = Int(value)
      case "data": facts.dataDirectory = DataDirectoryState(rawValue: value) ?? .other
      case "listen":
        let parts = value.split(separator: " ", maxSplits: 1)
        if let port = parts.first.flatMap({ Int($0) }) { facts.listeningPorts[port] = parts.count > 1 ? String(parts[1]) : "?" }
      case "version": facts.installedServerVersion = value.isEmpty ? nil : value
      case "user": facts.serviceUserExists = value == "1"
      case "controller": facts.controllerAddress = value.isEmpty ? nil : value
      default: break
      }
    }
    return facts
  }

  /// Gathers the facts of one host, including its clock offset.
  public static func gather(host: HostSpec, serverBinary: String, connection: some HostConnection) async throws(OpsError) -> HostFacts {
    let output = try await connection.run(script(host: host, serverBinary: serverBinary), stdin: nil, timeout: .seconds(30))
    var facts = parse(output.stdout)
    facts.clockOffsetMilliseconds = try await ClockOffset.measure(connection: connection)
    return facts
  }
}
