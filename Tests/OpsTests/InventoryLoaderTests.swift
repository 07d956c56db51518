import Foundation
import Ops
import Testing

/// Inventories are read with defaults and overrides applied, and every mistake is reported with file:line.
@Suite struct InventoryLoaderTests {
  func load(_ yaml: String) throws(InventoryError) -> Inventory {
    try InventoryLoader.parse(yaml: yaml, file: "inv.yml", baseDirectory: "/srv/ops", home: "/home/op")
  }

  func errors(_ yaml: String) -> [String] {
    do {
      _ = try load(yaml)
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  @Test func issueExampleLoadsWithDefaultsAndPerHostOverrides() throws {
    let inventory = try load("""
      cluster:
        name: prod-etcd
        server: swetcd
        client_port: 2379
        peer_port: 2380
        data_dir: /var/lib/swetcd
        tls: true
        service: auto
        firewall: auto
        max_clock_offset_ms: 500
      ssh:
        user: root
        key: ~/.ssh/id_ed25519
        known_hosts: ~/.ssh/known_hosts
        port: 22
      hosts:
        - name: etcd1
          address: 192.168.10.11
        - name: etcd2
          address: 192.168.10.12
          ssh: { port: 2222 }
        - name: etcd3
          address: 192.168.10.13
      """)
    #expect(inventory.cluster.name == "prod-etcd")
    #expect(inventory.cluster.token == "prod-etcd")
    #expect(inventory.cluster.tls)
    #expect(inventory.cluster.pkiDirectory == "/srv/ops/pki/prod-etcd")
    #expect(inventory.hosts.map(\.name) == ["etcd1", "etcd2", "etcd3"])
    #expect(inventory.hosts.map(\.ssh.port) == [22, 2222, 22])
    #expect(inventory.hosts[0].ssh.keys == ["/home/op/.ssh/id_ed25519"])
    #expect(inventory.hosts[0].ssh.knownHosts == "/home/op/.ssh/known_hosts")
    #expect(inventory.hosts[1].node.dataDirectory == "/var/lib/swetcd")
    #expect(inventory.hosts[2].clientURL(tls: true) == "https://192.168.10.13:2379")
    #expect(inventory.hosts[2].peerURL(tls: true) == "https://192.168.10.13:2380")
    #expect(inventory.hosts[0].line == 17)
    #expect(inventory.warnings.isEmpty)
  }

  @Test func groupVarsApplyBetweenClusterDefaultsAndHostOverrides() throws {
    let inventory = try load("""
      cluster: { name: c, client_port: 2379, settings: { heartbeat-interval: 100, snapshot-count: 10000 } }
      groups:
        fast:
          client_port: 3379
          settings: { heartbeat-interval: 50 }
          ssh: { user: admin }
      hosts:
        - { name: a, address: 10.0.0.1, group: fast }
        - { name: b, address: 10.0.0.2, group: fast, client_port: 4379 }
        - { name: c, address: 10.0.0.3 }
      """)
    #expect(inventory.hosts.map(\.node.clientPort) == [3379, 4379, 2379])
    #expect(inventory.hosts.map(\.ssh.user) == ["admin", "admin", "root"])
    #expect(inventory.hosts[0].node.settings == ["heartbeat-interval": "50", "snapshot-count": "10000"])
    #expect(inventory.hosts[2].node.settings["heartbeat-interval"] == "100")
  }

  @Test func upstreamEtcdServerDefaultsToEtcdPathsAndNeedsBinaries() throws {
    let problems = errors("""
      cluster: { name: c, server: etcd }
      hosts:
        - { name: a, address: 10.0.0.1 }
      """)
    #expect(problems.contains { $0.contains("hosts[0].binary: server: etcd needs `binary:`") })
    #expect(problems.contains { $0.contains("hosts[0].ctl_binary: server: etcd needs `ctl_binary:`") })
    let inventory = try load("""
      cluster: { name: c, server: etcd, binary: /bin/sh, ctl_binary: /bin/sh }
      hosts:
        - { name: a, address: 10.0.0.1 }
      """)
    #expect(inventory.hosts[0].node.dataDirectory == "/var/lib/etcd")
    #expect(inventory.hosts[0].node.serviceName == "etcd")
  }

  @Test func unknownKeySuggestsTheNearestKnownOneWithItsLine() {
    let problems = errors("""
      cluster:
        name: c
        clinet_port: 2379
      hosts:
        - { name: a, address: 10.0.0.1 }
      """)
    #expect(problems == [#"inv.yml:3:3: error: cluster.clinet_port: unknown key; did you mean "client_port"?"#])
  }

  @Test func wrongTypesAndRangesAreReportedTogether() {
    let problems = errors("""
      cluster:
        name: c
        client_port: lots
        tls: maybe
        peer_port: 70000
        service: launchd
      hosts:
        - { name: a, address: 10.0.0.1 }
      """)
    #expect(problems.contains("inv.yml:3:16: error: cluster.client_port: expected a whole number, found \"lots\""))
    #expect(problems.contains("inv.yml:4:8: error: cluster.tls: expected true or false, found \"maybe\""))
    #expect(problems.contains("inv.yml:5:14: error: cluster.peer_port: 70000 is out of range; use 1 to 65535"))
    #expect(problems.contains("inv.yml:6:12: error: cluster.service: \"launchd\" is not one of: auto, systemd, process"))
  }

  @Test func duplicateNamesAndSharedEndpointsAreErrors() {
    let problems = errors("""
      cluster: { name: c }
      hosts:
        - { name: a, address: 10.0.0.1 }
        - { name: a, address: 10.0.0.2 }
        - { name: b, address: 10.0.0.1 }
      """)
    #expect(problems.contains { $0.hasPrefix("inv.yml:4:") && $0.contains("\"a\" is already used by the host on line 3") })
    #expect(problems.contains { $0.contains("b and a share address 10.0.0.1 and port 2379") })
  }

  @Test func evenMemberCountWarnsWithQuorumArithmetic() throws {
    let inventory = try load("""
      cluster: { name: c }
      hosts:
        - { name: a, address: 10.0.0.1 }
        - { name: b, address: 10.0.0.2 }
        - { name: c, address: 10.0.0.3 }
        - { name: d, address: 10.0.0.4 }
      """)
    #expect(inventory.warnings.count == 1)
    #expect(inventory.warnings.first?.message.contains("4 members need a quorum of 3 and tolerate 1 failure(s), no more than 3 members do") == true)
  }

  @Test func missingSectionsAndFieldsAreNamed() {
    #expect(errors("hosts: []\n").contains { $0.contains("cluster: is missing") })
    let problems = errors("""
      cluster: { name: c }
      hosts:
        - { address: 10.0.0.1 }
        - { name: b }
      """)
    #expect(problems.contains("inv.yml:3:5: error: hosts[0].name: is missing; every host needs a name (its etcd member name)"))
    #expect(problems.contains("inv.yml:4:5: error: hosts[1].address: is missing; give the host's IP address or DNS name"))
  }

  @Test func badAddressesPathsAndManagedSettingsAreRefused() {
    let problems = errors("""
      cluster: { name: c, data_dir: var/lib/x, allowed_clients: [10.0.0.0/33], settings: { initial-cluster: x } }
      hosts:
        - { name: a, address: "300.1.1.1" }
        - { name: b, address: "bad_host!", ssh: { jump: "@nowhere" } }
      """)
    #expect(problems.contains { $0.contains("hosts[0].address: \"300.1.1.1\" is not an IP address or DNS name") })
    #expect(problems.contains { $0.contains("hosts[1].address: \"bad_host!\" is not an IP address or DNS name") })
    #expect(problems.contains { $0.contains("hosts[0].data_dir: \"var/lib/x\" must be an absolute path on the host") })
    #expect(problems.contains { $0.contains("cluster.allowed_clients[0]: \"10.0.0.0/33\" is not an address or CIDR") })
    #expect(problems.contains { $0.contains("settings.initial-cluster: is set by swetcd-ops from the inventory; use hosts instead") })
    #expect(problems.contains { $0.contains("hosts[1].ssh.jump: \"@nowhere\" is not [user@]host[:port]") })
  }

  @Test func yamlSyntaxErrorPointsAtTheLine() {
    let problems = errors("cluster:\n  name: c\n hosts: [\n")
    #expect(problems.count == 1)
    #expect(problems.first?.hasPrefix("inv.yml:3:") == true)
    #expect(problems.first?.contains("YAML syntax") == true)
  }

  @Test func localHostsResolveRelativePathsAgainstTheInventoryFolder() throws {
    let inventory = try load("""
      cluster: { name: demo, firewall: none, service: process }
      hosts:
        - { name: n1, address: 127.0.0.1, connection: local, data_dir: ../.demo/n1/data, config_dir: ../.demo/n1/etc, service_name: swetcd-n1 }
        - { name: n2, address: 127.0.0.1, connection: local, client_port: 22379, peer_port: 22380, data_dir: ../.demo/n2/data, config_dir: ../.demo/n2/etc, service_name: swetcd-n2 }
      """)
    #expect(inventory.hosts[0].node.dataDirectory == "/srv/.demo/n1/data")
    #expect(inventory.hosts[1].node.configDirectory == "/srv/.demo/n2/etc")
    #expect(inventory.hosts.allSatisfy { $0.connection == .local })
  }

  @Test func missingFileSaysSo() {
    let error = #expect(throws: InventoryError.self) { try InventoryLoader.load(path: "/nonexistent/inv.yml") }
    #expect(error?.description.contains("/nonexistent/inv.yml: error: inventory file does not exist") == true)
  }
}
