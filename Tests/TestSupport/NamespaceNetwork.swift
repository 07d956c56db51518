import Foundation

/// One network namespace of a `NamespaceNetwork`: its own IPv4 address on the network's bridge.
public struct NamespaceHost: Sendable, Hashable {
  /// The namespace name, for `ip netns exec`.
  public let netns: String
  /// The host's address on the bridge (like `10.214.7.11`).
  public let address: String
}

/// What went wrong building or changing a `NamespaceNetwork`, and what to do about it.
public struct NamespaceNetworkError: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(_ description: String) { self.description = description }
}

/// A private IPv4 network of network namespaces joined by a bridge, reachable from this process: a switch
/// namespace holds the bridge, this (root) namespace gets `<subnet>.1` on a veth into it, and each host is a
/// namespace with `eth0` = `<subnet>.(10+i)`. Programs run in a host with `commandPrefix(for:)`
/// (`ip netns exec <ns>`, which execs, so the child's PID is the program's). `isolate` cuts a host's traffic on
/// given ports to and from other hosts with an nftables table inside the host's namespace only; `heal` removes it.
/// `remove()` deletes every namespace and link it made (also on deinit). Needs root, `ip` and `nft`.
public final class NamespaceNetwork: @unchecked Sendable {
  /// The prefix of every namespace and link name (`swcn<id>`), unique on this machine while the network exists.
  public let prefix: String
  /// The subnet's first three octets (`10.214.<id>`).
  public let subnet: String
  /// This process's address on the network (what hosts see as the test).
  public var controllerAddress: String { "\(subnet).1" }

  private let lock = NSLock()
  private var hosts: [NamespaceHost] = []
  private var removed = false

  /// Why namespaces cannot be made here, or nil when they can (root, `ip` and `nft` installed).
  public static var unavailableReason: String? {
    if getuid() != 0 { return "not running as root" }
    for tool in ["ip", "nft"] where ChildProcess.which(tool) == nil { return "\(tool) is not installed" }
    return nil
  }

  private static let lockPath = "/run/lock/swetcd-namespace-network.lock"

  /// Makes the bridge and the test's link. The id is chosen machine-wide under a file lock, so concurrent test
  /// processes get different names and subnets.
  public init() throws {
    if let reason = Self.unavailableReason { throw NamespaceNetworkError("namespace networks are unavailable: \(reason)") }
    let fd = open(Self.lockPath, O_CREAT | O_RDWR, 0o600)
    guard fd >= 0 else { throw NamespaceNetworkError("cannot open \(Self.lockPath): errno \(errno)") }
    defer { close(fd) }
    guard flock(fd, LOCK_EX) == 0 else { throw NamespaceNetworkError("cannot lock \(Self.lockPath): errno \(errno)") }
    defer { flock(fd, LOCK_UN) }
    let taken = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    let routes = try Self.ip(["-4", "route", "show"]).stdout
    let start = Int(getpid()) % 200
    guard let id = (0..<200).map({ (start + $0) % 200 + 20 }).first(where: {
      !taken.contains("swcn\($0)-sw") && !routes.contains("10.214.\($0).")
    }) else { throw NamespaceNetworkError("no free swcn id: remove stale namespaces (ip netns list | grep swcn)") }
    prefix = "swcn\(id)"
    subnet = "10.214.\(id)"
    do {
      let sw = "\(prefix)-sw"
      try Self.ip(["netns", "add", sw])
      try Self.ip(["-n", sw, "link", "set", "lo", "up"])
      try Self.ip(["-n", sw, "link", "add", "br0", "type", "bridge"])
      try Self.ip(["-n", sw, "link", "set", "br0", "up"])
      try Self.ip(["link", "add", "\(prefix)c", "type", "veth", "peer", "name", "up0", "netns", sw])
      try Self.ip(["addr", "add", "\(subnet).1/24", "dev", "\(prefix)c"])
      try Self.ip(["link", "set", "\(prefix)c", "up"])
      try Self.ip(["-n", sw, "link", "set", "up0", "master", "br0", "up"])
    } catch {
      remove()
      throw error
    }
  }

  deinit { remove() }

  /// Adds host number `hosts.count + 1`: a namespace with loopback and `eth0` on the bridge.
  public func addHost() throws -> NamespaceHost {
    let index = lock.withLock { hosts.count + 1 }
    let host = NamespaceHost(netns: "\(prefix)-\(index)", address: "\(subnet).\(10 + index)")
    try Self.ip(["netns", "add", host.netns])
    lock.withLock { hosts.append(host) }
    let sw = "\(prefix)-sw", port = "\(prefix)p\(index)"
    try Self.ip(["-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.netns])
    try Self.ip(["-n", sw, "link", "set", port, "master", "br0", "up"])
    try Self.ip(["-n", host.netns, "link", "set", "lo", "up"])
    try Self.ip(["-n", host.netns, "addr", "add", "\(host.address)/24", "dev", "eth0"])
    try Self.ip(["-n", host.netns, "link", "set", "eth0", "up"])
    return host
  }

  /// The command that runs a program inside `host` (prepend it to the program and its arguments).
  public func commandPrefix(for host: NamespaceHost) -> [String] {
    [ChildProcess.which("ip") ?? "/usr/sbin/ip", "netns", "exec", host.netns]
  }

  /// Drops, inside `host` only, TCP traffic between it and `others` on `ports` in both directions (connections it
  /// makes and connections made to it); everything else, like the test's client connections, still passes.
  public func isolate(_ host: NamespaceHost, from others: [NamespaceHost], ports: [Int]) throws {
    let addresses = others.map(\.address).joined(separator: ", ")
    let portSet = ports.map(String.init).joined(separator: ", ")
    let rules = """
      table inet swcnpartition {
        chain input {
          type filter hook input priority 0; policy accept;
          ip saddr { \(addresses) } tcp dport { \(portSet) } drop
          ip saddr { \(addresses) } tcp sport { \(portSet) } drop
        }
        chain output {
          type filter hook output priority 0; policy accept;
          ip daddr { \(addresses) } tcp dport { \(portSet) } drop
          ip daddr { \(addresses) } tcp sport { \(portSet) } drop
        }
      }

      """
    try Self.run(commandPrefix(for: host) + ["nft", "-f", "-"], input: rules)
  }

  /// Removes what `isolate` added to `host`.
  public func heal(_ host: NamespaceHost) throws {
    try Self.run(commandPrefix(for: host) + ["nft", "delete", "table", "inet", "swcnpartition"])
  }

  /// Deletes every host namespace, the switch namespace and the test's link. Processes still running in a host
  /// must be stopped first (the caller's job: it started them). Idempotent.
  public func remove() {
    let all: [NamespaceHost]? = lock.withLock {
      guard !removed else { return nil }
      removed = true
      return hosts
    }
    guard let all else { return }
    for host in all { _ = try? Self.ip(["netns", "del", host.netns], check: false) }
    _ = try? Self.ip(["netns", "del", "\(prefix)-sw"], check: false)
    _ = try? Self.ip(["link", "del", "\(prefix)c"], check: false)
  }

  @discardableResult
  private static func ip(_ arguments: [String], check: Bool = true) throws -> ProcessOutput {
    let output = try ChildProcess.run(ChildProcess.which("ip") ?? "/usr/sbin/ip", arguments, timeout: 30)
    if check, output.status != 0 {
      throw NamespaceNetworkError("ip \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr)")
    }
    return output
  }

  private static func run(_ command: [String], input: String? = nil) throws {
    let output = try ChildProcess.run(command[0], Array(command.dropFirst()), timeout: 30, input: input)
    guard output.status == 0 else {
      throw NamespaceNetworkError("\(command.joined(separator: " ")) failed (\(output.status)): \(output.stderr)")
    }
  }
}
