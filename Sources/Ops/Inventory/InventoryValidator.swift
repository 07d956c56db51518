import Foundation
import Yams

/// Checks that span hosts: unique names and endpoints, sane member counts, binaries that exist, settings the
/// tool manages itself.
struct InventoryValidator {
  let fields: YAMLFields
  let cluster: ClusterSpec
  let root: Node

  /// etcd flags whose values swetcd-ops derives from the inventory; setting them by hand would fight it.
  static let managedSettings: [String: String] = [
    "name": "hosts[].name", "data-dir": "data_dir", "wal-dir": "wal_dir", "initial-cluster": "hosts",
    "initial-cluster-token": "cluster.token", "initial-cluster-state": "(chosen per command)",
    "initial-advertise-peer-urls": "address and peer_port", "advertise-client-urls": "address and client_port",
    "listen-peer-urls": "peer_port", "listen-client-urls": "client_port", "cert-file": "tls", "key-file": "tls",
    "trusted-ca-file": "tls", "client-cert-auth": "tls", "peer-cert-file": "tls", "peer-key-file": "tls",
    "peer-trusted-ca-file": "tls", "peer-client-cert-auth": "tls",
  ]

  func validate(hosts: [HostSpec], hostNodes: [Node]) {
    func entry(_ index: Int, _ key: String) -> Node? {
      guard index < hostNodes.count, case .mapping(let mapping) = hostNodes[index] else { return nil }
      return mapping.first { $0.key.scalar?.string == key }?.value ?? hostNodes[index]
    }
    var firstByName: [String: HostSpec] = [:]
    for (index, host) in hosts.enumerated() {
      let path = "hosts[\(index)]"
      if let earlier = firstByName[host.name] {
        fields.error(entry(index, "name"), "\(path).name", "\"\(host.name)\" is already used by the host on line \(earlier.line); member names must be unique")
      } else {
        firstByName[host.name] = host
      }
      if host.name.isEmpty || !host.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
        fields.error(entry(index, "name"), "\(path).name", "use letters, digits, '-', '_' and '.' only (it names files and units)")
      }
      if !Self.isValidAddress(host.address) {
        fields.error(entry(index, "address"), "\(path).address", "\"\(host.address)\" is not an IP address or DNS name")
      }
      if host.node.clientPort == host.node.peerPort {
        fields.error(entry(index, "peer_port"), "\(path).peer_port", "equals client_port \(host.node.clientPort); the peer and client ports must differ")
      }
      if host.connection == .ssh {
        for (key, value) in [("data_dir", host.node.dataDirectory), ("bin_dir", host.node.binDirectory),
                             ("config_dir", host.node.configDirectory), ("log_dir", host.node.logDirectory),
                             ("wal_dir", host.node.walDirectory ?? "/")] where !value.hasPrefix("/") {
          fields.error(entry(index, key), "\(path).\(key)", "\"\(value)\" must be an absolute path on the host")
        }
      }
      if host.ssh.sudo == .password, host.ssh.sudoPasswordEnv == nil {
        fields.error(entry(index, "ssh"), "\(path).ssh.sudo", "sudo: password needs sudo_password_env (the name of an environment variable holding the password)")
      }
      if let jump = host.ssh.jump, !Self.isValidJump(jump) {
        fields.error(entry(index, "ssh"), "\(path).ssh.jump", "\"\(jump)\" is not [user@]host[:port]")
      }
      checkBinaries(host, path: path, node: entry(index, "binary"))
      for key in host.node.settings.keys.sorted() {
        if let instead = Self.managedSettings[key] {
          fields.error(entry(index, "settings"), "\(path).settings.\(key)", "is set by swetcd-ops from the inventory; use \(instead) instead")
        } else if !key.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
          fields.error(entry(index, "settings"), "\(path).settings.\(key)", "is not an etcd flag name (lower-case words joined by '-', e.g. heartbeat-interval)")
        }
      }
    }
    checkSharedMachines(hosts, entry: entry)
    for (index, cidr) in cluster.allowedClients.enumerated() where !Self.isValidCIDR(cidr) {
      fields.error(root, "cluster.allowed_clients[\(index)]", "\"\(cidr)\" is not an address or CIDR (e.g. 10.0.0.0/24)")
    }
    checkMemberCount(hosts.count)
  }

  private func checkBinaries(_ host: HostSpec, path: String, node: Node?) {
    if cluster.server == .etcd {
      if host.node.binary == nil {
        fields.error(node, "\(path).binary", "server: etcd needs `binary:` naming the etcd executable to push (e.g. /usr/bin/etcd)")
      }
      if host.node.ctlBinary == nil {
        fields.error(node, "\(path).ctl_binary", "server: etcd needs `ctl_binary:` naming the etcdctl executable to push (e.g. /usr/bin/etcdctl)")
      }
    }
    for (key, file) in [("binary", host.node.binary), ("ctl_binary", host.node.ctlBinary)] {
      guard let file else { continue }
      if !FileManager.default.isExecutableFile(atPath: file) {
        let reason = FileManager.default.fileExists(atPath: file) ? "is not executable" : "does not exist"
        fields.error(node, "\(path).\(key)", "\(file) \(reason) on this machine")
      }
    }
  }

  /// Hosts on one machine (same address) must not share ports or folders.
  private func checkSharedMachines(_ hosts: [HostSpec], entry: (Int, String) -> Node?) {
    for (i, a) in hosts.enumerated() {
      for (j, b) in hosts.enumerated() where j < i && a.address == b.address {
        let portsA: Set = [a.node.clientPort, a.node.peerPort]
        if let clash = portsA.intersection([b.node.clientPort, b.node.peerPort]).min() {
          fields.error(entry(i, "client_port"), "hosts[\(i)]", "\(a.name) and \(b.name) share address \(a.address) and port \(clash); give one of them other client_port/peer_port values")
        }
        if a.node.dataDirectory == b.node.dataDirectory {
          fields.error(entry(i, "data_dir"), "hosts[\(i)].data_dir", "\(a.name) and \(b.name) share address \(a.address) and data_dir \(a.node.dataDirectory); give each its own")
        }
        if a.node.configDirectory == b.node.configDirectory || a.node.serviceName == b.node.serviceName {
          fields.error(entry(i, "config_dir"), "hosts[\(i)]", "\(a.name) and \(b.name) share address \(a.address); give each its own config_dir and service_name")
        }
      }
    }
  }

  private func checkMemberCount(_ count: Int) {
    guard count > 0 else {
      fields.error(root, "hosts", "is empty; list at least one host (three for a fault-tolerant cluster)")
      return
    }
    let quorum = count / 2 + 1
    if count % 2 == 0 {
      fields.warning(root, "hosts", "\(count) members need a quorum of \(quorum) and tolerate \(count - quorum) failure(s), no more than \(count - 1) members do; an odd count gives the same fault tolerance with fewer members to keep in sync")
    }
    if count > 7 {
      fields.warning(root, "hosts", "\(count) members: every write waits for \(quorum) of them; etcd recommends at most 7")
    }
  }

  static func isValidAddress(_ text: String) -> Bool {
    if text.contains(":") {
      var address = in6_addr()
      return inet_pton(AF_INET6, text, &address) == 1
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 4, parts.allSatisfy({ Int($0) != nil }) { return parts.allSatisfy { UInt8($0) != nil } }
    guard !text.isEmpty, text.count <= 253 else { return false }
    return parts.allSatisfy { label in
      !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
        && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
  }

  static func isValidCIDR(_ text: String) -> Bool {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2, isValidAddress(String(parts[0])), parts[0].contains(":") || parts[0].split(separator: ".").count == 4 else { return false }
    guard parts.count == 2 else { return true }
    guard let bits = Int(parts[1]) else { return false }
    return (0...(parts[0].contains(":") ? 128 : 32)).contains(bits)
  }

  static func isValidJump(_ text: String) -> Bool {
    var rest = Substring(text)
    if let at = rest.lastIndex(of: "@") {
      guard at != rest.startIndex else { return false }
      rest = rest[rest.index(after: at)...]
    }
    if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("[") {
      guard let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else { return false }
      rest = rest[..<colon]
    }
    return isValidAddress(String(rest.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))))
  }
}
