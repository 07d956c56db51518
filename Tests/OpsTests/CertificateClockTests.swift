import Foundation
@testable import Ops
import PKI
import Testing
import TestSupport

/// Certificates are judged by each member's own clock, which may differ from the controller's.
@Suite struct CertificateClockTests {
  func member(offsetMilliseconds: Double) -> Member {
    var facts = FactsProbe.parse("")
    facts.clockOffsetMilliseconds = offsetMilliseconds
    let host = HostSpec(name: "m1", address: "10.0.0.1", connection: .local,
                        ssh: SSHSettings(user: "root", port: 22, keys: [], knownHosts: "/dev/null", agent: false,
                                         passwordEnv: nil, sudo: .none, sudoPasswordEnv: nil, jump: nil, connectTimeoutSeconds: 5),
                        node: NodeSettings(clientPort: 2379, peerPort: 2380, dataDirectory: "/d", walDirectory: nil, binary: nil,
                                           ctlBinary: nil, binDirectory: "/b", configDirectory: "/c", logDirectory: "/l",
                                           serviceName: "swetcd", serviceUser: "etcd", service: .process, firewall: .none, settings: [:]),
                        group: nil, line: 1)
    return Member(host: host, connection: LocalConnection(hostName: "m1"), facts: facts,
                  paths: MemberPaths(host: host, server: .swetcd), serverBinary: "/x", ctlBinary: "/y")
  }

  @Test func hostWhoseClockLagsBeforeNotBeforeIsRefusedWithTheRemedy() throws {
    let dir = makeTemporaryDirectory("cert-clock")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = PKIStore(directory: dir)
    let (ca, _) = try store.ensureCA(commonName: "test CA")
    let files = try store.files(node: "m1", profile: .server)
    // Issued with NotBefore now - 1 h (the default backdate).
    _ = try store.ensure(CertificateRequest(profile: .server, commonName: "m1", ipAddresses: ["10.0.0.1"]), at: files, ca: ca)
    #expect(throws: Never.self) { try Deployer.checkValidity(of: [files.certificatePath], on: member(offsetMilliseconds: -30 * 60_000)) }
    let error = #expect(throws: OpsError.self) {
      try Deployer.checkValidity(of: [files.certificatePath], on: member(offsetMilliseconds: -2 * 3_600_000))
    }
    #expect(error?.description.contains("fix the host's clock") == true)
    #expect(error?.description.hasPrefix("m1: \(files.certificatePath): not valid until") == true)
  }
}
