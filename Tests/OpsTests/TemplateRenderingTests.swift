import Foundation
import Ops
import Testing
import TestSupport

/// The shipped templates render each member's etcd.conf and systemd unit as an etcd operator writes them.
@Suite struct TemplateRenderingTests {
  let templates = try! TemplateSet.locate()

  func inventory(_ yaml: String) throws -> Inventory {
    try InventoryLoader.parse(yaml: yaml, file: "inv.yml", baseDirectory: "/srv/ops", home: "/root")
  }

  static let threeHosts = """
    cluster: { name: prod-etcd, settings: { heartbeat-interval: 100, election-timeout: 1000 } }
    hosts:
      - { name: etcd1, address: 10.0.0.11 }
      - { name: etcd2, address: 10.0.0.12 }
      - { name: etcd3, address: 10.0.0.13 }
    """

  @Test func etcdConfWithTLSListsEveryMemberAndTheCertificates() throws {
    let inv = try inventory(Self.threeHosts)
    let text = try templates.render("etcd.conf", RenderContext.make(inventory: inv, host: inv.hosts[1], members: inv.hosts, state: .new))
    #expect(text == """
      # Managed by swetcd-ops for cluster prod-etcd, member etcd2: edits are overwritten on the next deploy.
      # Read by swetcd as ETCD_* environment variables (systemd EnvironmentFile, or the process supervisor).
      ETCD_NAME="etcd2"
      ETCD_DATA_DIR="/var/lib/swetcd"
      ETCD_LISTEN_PEER_URLS="https://10.0.0.12:2380"
      ETCD_LISTEN_CLIENT_URLS="https://10.0.0.12:2379,https://127.0.0.1:2379"
      ETCD_INITIAL_ADVERTISE_PEER_URLS="https://10.0.0.12:2380"
      ETCD_ADVERTISE_CLIENT_URLS="https://10.0.0.12:2379"
      ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.11:2380,etcd2=https://10.0.0.12:2380,etcd3=https://10.0.0.13:2380"
      ETCD_INITIAL_CLUSTER_TOKEN="prod-etcd"
      ETCD_INITIAL_CLUSTER_STATE="new"
      ETCD_CERT_FILE="/etc/swetcd/pki/server.crt"
      ETCD_KEY_FILE="/etc/swetcd/pki/server.key"
      ETCD_TRUSTED_CA_FILE="/etc/swetcd/pki/ca.crt"
      ETCD_CLIENT_CERT_AUTH="true"
      ETCD_PEER_CERT_FILE="/etc/swetcd/pki/peer.crt"
      ETCD_PEER_KEY_FILE="/etc/swetcd/pki/peer.key"
      ETCD_PEER_TRUSTED_CA_FILE="/etc/swetcd/pki/ca.crt"
      ETCD_PEER_CLIENT_CERT_AUTH="true"
      ETCD_ELECTION_TIMEOUT="1000"
      ETCD_HEARTBEAT_INTERVAL="100"

      """)
  }

  @Test func joiningMemberWithoutTLSSaysExistingAndHasNoCertificateLines() throws {
    let inv = try inventory("""
      cluster: { name: c, tls: false, server: etcd, binary: /bin/sh, ctl_binary: /bin/sh, wal_dir: /wal }
      hosts:
        - { name: a, address: 10.0.0.1 }
        - { name: b, address: 10.0.0.2 }
        - { name: c, address: 10.0.0.3 }
      """)
    let text = try templates.render("etcd.conf", RenderContext.make(inventory: inv, host: inv.hosts[2], members: inv.hosts, state: .existing))
    #expect(text.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n"))
    #expect(text.contains("ETCD_WAL_DIR=\"/wal\"\n"))
    #expect(text.contains("ETCD_DATA_DIR=\"/var/lib/etcd\"\n"))
    #expect(text.contains("ETCD_LISTEN_CLIENT_URLS=\"http://10.0.0.3:2379,http://127.0.0.1:2379\"\n"))
    #expect(!text.contains("CERT"))
    #expect(text.contains("Read by etcd as ETCD_*"))
  }

  @Test(.enabled(if: RealEtcd.binary != nil, "etcd 3.4 is not installed; run scripts/setup"))
  func renderedEnvFileIsAcceptedByTheRealEtcdAsConfiguration() async throws {
    // The real etcd 3.4 reads every variable we render: start it from the file and see it refuse nothing.
    let etcd = try #require(RealEtcd.binary)
    let dir = makeTemporaryDirectory("render-etcd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let port = freeTCPPort(), peer = freeTCPPort()
    let inv = try inventory("""
      cluster: { name: c, tls: false, service: process, firewall: none, settings: { snapshot-count: 5000 } }
      hosts:
        - { name: solo, address: 127.0.0.1, connection: local, client_port: \(port), peer_port: \(peer), data_dir: \(dir)/data, config_dir: \(dir) }
      """)
    let text = try templates.render("etcd.conf", RenderContext.make(inventory: inv, host: inv.hosts[0], members: inv.hosts, state: .new))
    try text.write(toFile: "\(dir)/etcd.conf", atomically: true, encoding: .utf8)
    // `set -a; . file` is how the process supervisor loads it. etcd validates every variable at start and warns
    // about unknown ETCD_ ones; it must reach "ready to serve client requests" with no such warning.
    let log = try ChildProcess.startLogged("/bin/sh", ["-c", "set -a; . \(dir)/etcd.conf; exec \(etcd)"], logPath: "\(dir)/etcd.log")
    let ready = try await offPool { log.waitForOutput(containing: "ready to serve client requests", timeout: 20) }
    _ = try await offPool { log.stop() }
    let output = log.output
    #expect(ready, "\(output.suffix(1500))")
    #expect(output.contains("name = solo") || output.contains("\"name\":\"solo\""))
    #expect(!output.contains("unrecognized environment variable"))
  }

  @Test(.enabled(if: ChildProcess.which("systemd-analyze") != nil, "systemd-analyze is not installed"))
  func unitFilePassesSystemdAnalyzeVerify() async throws {
    let dir = makeTemporaryDirectory("render-unit")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: "\(dir)/bin", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: "\(dir)/bin/swetcd", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
    let inv = try inventory("""
      cluster: { name: c, bin_dir: \(dir)/bin, config_dir: \(dir) }
      hosts:
        - { name: a, address: 10.0.0.1 }
      """)
    let unit = try templates.render("etcd.service", RenderContext.make(inventory: inv, host: inv.hosts[0], members: inv.hosts, state: .new))
    #expect(unit.contains("ExecStart=\(dir)/bin/swetcd\n"))
    #expect(unit.contains("Type=notify\n") && unit.contains("Restart=always\n") && unit.contains("LimitNOFILE=65536\n"))
    #expect(unit.contains("EnvironmentFile=\(dir)/etcd.conf\n") && unit.contains("User=etcd\n"))
    try unit.write(toFile: "\(dir)/swetcd.service", atomically: true, encoding: .utf8)
    let out = try await ChildProcess.runDetached(ChildProcess.which("systemd-analyze")!, ["verify", "\(dir)/swetcd.service"], timeout: 30)
    #expect(out.status == 0, "\(out.stderr)")
    #expect(!out.stderr.contains("swetcd.service:"), "systemd-analyze complained: \(out.stderr)")
  }

  @Test func customTemplateFolderOverlaysTheShippedOnes() throws {
    let dir = makeTemporaryDirectory("custom-templates")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "ETCD_NAME={{ node.name }} # custom\n".write(toFile: "\(dir)/etcd.conf", atomically: true, encoding: .utf8)
    let custom = try TemplateSet.locate(override: dir)
    let inv = try inventory(Self.threeHosts)
    let context = RenderContext.make(inventory: inv, host: inv.hosts[0], members: inv.hosts, state: .new)
    #expect(try custom.render("etcd.conf", context) == "ETCD_NAME=etcd1 # custom\n")
    #expect(try custom.render("etcd.service", context).contains("ExecStart=/usr/local/bin/swetcd"))
    let error = #expect(throws: OpsError.self) { try custom.render("nonexistent.conf", context) }
    #expect(error?.description.contains("no nonexistent.conf in \(dir) or ") == true)
  }

  @Test func brokenTemplateNamesTheFileAndTheProblem() throws {
    let dir = makeTemporaryDirectory("broken-templates")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "{% if node.name %}unterminated".write(toFile: "\(dir)/etcd.conf", atomically: true, encoding: .utf8)
    let inv = try inventory(Self.threeHosts)
    let error = #expect(throws: OpsError.self) {
      try TemplateSet.locate(override: dir).render("etcd.conf", RenderContext.make(inventory: inv, host: inv.hosts[0], members: inv.hosts, state: .new))
    }
    #expect(error?.description.hasPrefix("template \(dir)/etcd.conf failed to render") == true)
  }

  @Test func templatesOptionMustBeAFolder() {
    let error = #expect(throws: OpsError.self) { try TemplateSet.locate(override: "/nonexistent-templates") }
    #expect(error?.description.contains("--templates /nonexistent-templates is not a folder") == true)
  }
}
