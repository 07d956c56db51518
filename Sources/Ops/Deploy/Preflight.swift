import Foundation

/// One preflight check on one host.
public struct PreflightCheck: Sendable, Hashable {
  public enum Status: String, Sendable, Comparable {
    case ok, warn, fail
    public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
  }

  public var host: String
  /// Short column name: clock, timesync, ports, disk, fsync, arch, data.
  public var name: String
  public var status: Status
  /// What was found and, unless ok, what to do.
  public var detail: String
}

/// Decides, from a host's facts, whether it is fit to run a member. Pure: the probes gather, this judges.
public enum Preflight {
  public static let columns = ["clock", "timesync", "ports", "disk", "fsync", "arch", "data"]

  /// - Parameters:
  ///   - binaryArchitecture: `uname -m` style architecture of the server binary to push (nil: unknown).
  ///   - fsyncP99Milliseconds: measured fsync latency on the data dir's filesystem (nil: not measured).
  ///   - serverRunning: whether this member's own server already runs (its ports are then expected busy).
  public static func evaluate(
    host: HostSpec, facts: HostFacts, cluster: ClusterSpec, binaryArchitecture: String?,
    fsyncP99Milliseconds: Double?, serverRunning: Bool
  ) -> [PreflightCheck] {
    var checks: [PreflightCheck] = []
    func add(_ name: String, _ status: PreflightCheck.Status, _ detail: String) {
      checks.append(PreflightCheck(host: host.name, name: name, status: status, detail: detail))
    }
    if let offset = facts.clockOffsetMilliseconds {
      let limit = Double(cluster.maxClockOffsetMilliseconds)
      let direction = offset >= 0 ? "ahead of" : "behind"
      let text = "clock is \(Int(abs(offset).rounded())) ms \(direction) this machine"
      if abs(offset) > limit {
        add("clock", .fail, "\(text) (limit \(Int(limit)) ms; etcd members fail at 1 s of skew); fix the host's time sync (chrony or systemd-timesyncd) and run again")
      } else {
        add("clock", .ok, text)
      }
    } else {
      add("clock", .warn, "could not read the host's clock; check that `date +%s%N` works there")
    }
    switch (facts.timeSyncDaemon, facts.clockSynchronized) {
    case (nil, _):
      add("timesync", .warn, "no time-sync daemon runs (chronyd, systemd-timesyncd, ntpd); clocks drift apart over days: install and enable one")
    case (let daemon?, false?):
      add("timesync", .warn, "\(daemon) runs but reports the clock unsynchronised; check its sources")
    case (let daemon?, _):
      add("timesync", .ok, daemon)
    }
    let busy = [host.node.clientPort, host.node.peerPort].compactMap { port -> String? in
      guard let owner = facts.listeningPorts[port] else { return nil }
      return "\(port) (\(owner))"
    }
    if busy.isEmpty || serverRunning {
      add("ports", .ok, busy.isEmpty ? "\(host.node.clientPort) and \(host.node.peerPort) free" : "held by this member's server")
    } else {
      add("ports", .fail, "port \(busy.joined(separator: ", ")) already in use; stop that program or choose other client_port/peer_port")
    }
    if let free = facts.freeDiskKilobytes {
      let freeMB = free / 1024
      if freeMB < cluster.minFreeDiskMegabytes {
        add("disk", .fail, "\(freeMB) MB free for \(host.node.dataDirectory) (need \(cluster.minFreeDiskMegabytes) MB); free space or lower min_free_disk_mb")
      } else {
        add("disk", .ok, "\(freeMB) MB free")
      }
    } else {
      add("disk", .warn, "could not measure free space for \(host.node.dataDirectory)")
    }
    if let p99 = fsyncP99Milliseconds {
      let text = String(format: "fsync p99 %.1f ms", p99)
      if p99 > Double(cluster.fsyncWarnMilliseconds) {
        add("fsync", .warn, "\(text) (over \(cluster.fsyncWarnMilliseconds) ms): etcd needs fast disks; slow fsync causes leader elections and timeouts. Use an SSD for the data dir")
      } else {
        add("fsync", .ok, text)
      }
    } else {
      add("fsync", .warn, "fsync latency not measured")
    }
    if let binary = binaryArchitecture, binary != facts.architecture {
      add("arch", .fail, "host is \(facts.architecture) but the server binary is \(binary); build or pick a binary for \(facts.architecture)")
    } else {
      add("arch", .ok, facts.architecture)
    }
    switch facts.dataDirectory {
    case .absent, .empty: add("data", .ok, "\(host.node.dataDirectory) \(facts.dataDirectory == .absent ? "will be created" : "is empty")")
    case .member: add("data", .ok, "\(host.node.dataDirectory) holds a member (kept)")
    case .other:
      add("data", .fail, "\(host.node.dataDirectory) holds files that are not an etcd member; empty it or choose another data_dir")
    }
    return checks
  }

  /// A host x check table of ok/WARN/FAIL, then one line per warning or failure.
  public static func render(_ checks: [PreflightCheck]) -> String {
    let hosts = checks.map(\.host).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    var rows = [["HOST"] + columns.map { $0.uppercased() }]
    for host in hosts {
      rows.append([host] + columns.map { name in
        guard let check = checks.first(where: { $0.host == host && $0.name == name }) else { return "-" }
        return check.status == .ok ? "ok" : check.status.rawValue.uppercased()
      })
    }
    var lines = TextTable.render(rows)
    for check in checks where check.status != .ok {
      lines.append("\(check.status.rawValue.uppercased()) \(check.host) \(check.name): \(check.detail)")
    }
    return lines.joined(separator: "\n")
  }
}

/// Reads the architecture of an ELF executable from its header (`uname -m` names).
public func elfArchitecture(path: String) -> String? {
  guard let handle = FileHandle(forReadingAtPath: path), let header = try? handle.read(upToCount: 20), header.count == 20,
        header.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]) else { return nil }
  let machine = UInt16(header[18]) | UInt16(header[19]) << 8
  switch machine {
  case 0x3e: return "x86_64"
  case 0xb7: return "aarch64"
  case 0x28: return "armv7l"
  case 0x03: return "i686"
  case 0xf3: return "riscv64"
  case 0x15: return "ppc64le"
  case 0x16: return "s390x"
  default: return "unknown-\(machine)"
  }
}

/// Measures fsync latency on the filesystem of a host's data dir with a short dd loop (each sample a 4 KiB
/// O_DSYNC write), minus the same loop without O_DSYNC to discount process start-up.
public enum FsyncProbe {
  static func command(directory: String, samples: Int) -> String {
    """
    d=\(shellQuote(directory)); while [ ! -d "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
    f="$d/.swetcd-fsync-probe.$$"
    run() { i=0; while [ $i -lt \(samples) ]; do s=$(date +%s%N); dd if=/dev/zero of="$f" bs=4096 count=1 $1 conv=notrunc 2>/dev/null; e=$(date +%s%N); echo "$2 $(( (e - s) / 1000 ))"; i=$((i+1)); done; }
    run oflag=dsync sync; run "" base; rm -f "$f"
    """
  }

  /// p99 of the synced samples minus the median unsynced sample, in milliseconds.
  static func p99(fromOutput output: String) -> Double? {
    var synced: [Double] = [], base: [Double] = []
    for line in output.split(separator: "\n") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let micros = Double(parts[1]) else { continue }
      if parts[0] == "sync" { synced.append(micros) } else { base.append(micros) }
    }
    guard !synced.isEmpty, !base.isEmpty else { return nil }
    synced.sort()
    base.sort()
    let p99 = synced[min(synced.count - 1, Int((Double(synced.count) * 0.99).rounded(.up)) - 1)]
    return max(0, p99 - base[base.count / 2]) / 1000
  }

  public static func measure(directory: String, samples: Int = 40, on host: some HostConnection) async throws(OpsError) -> Double? {
    let output = try await host.run(command(directory: directory, samples: samples), stdin: nil, timeout: .seconds(60))
    return p99(fromOutput: output.stdout)
  }
}
