import Foundation
import PKI
import PeerTransport
import Raft
import TestSupport
import Testing

/// A CA and peer certificates for CN "m1" and "m2" (IP SAN 127.0.0.1) in a temp directory.
struct PeerCertificates {
  let directory: String
  let ca: String

  init() throws {
    directory = try temporaryDirectory()
    let authority = try CertificateAuthority.generate(commonName: "peer test CA")
    ca = directory + "/ca.pem"
    try authority.certificatePEM.write(toFile: ca, atomically: true, encoding: .utf8)
    for name in ["m1", "m2"] {
      let issued = try authority.issue(CertificateRequest(profile: .peer, commonName: name, ipAddresses: ["127.0.0.1"]))
      try issued.certificatePEM.write(toFile: "\(directory)/\(name).pem", atomically: true, encoding: .utf8)
      try issued.privateKeyPEM.write(toFile: "\(directory)/\(name)-key.pem", atomically: true, encoding: .utf8)
    }
  }

  func settings(_ name: String, clientCertAuth: Bool = true, allowedCN: String = "") -> PeerTLSSettings {
    PeerTLSSettings(certFile: "\(directory)/\(name).pem", keyFile: "\(directory)/\(name)-key.pem", trustedCAFile: ca,
                    clientCertAuth: clientCertAuth, allowedCN: allowedCN)
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite struct TLSTests {
  @Test func messagesFlowBetweenMembersWithMutualTLS() async throws {
    let certificates = try PeerCertificates()
    defer { certificates.remove() }
    let a = try makeMember(id: 0xa, scheme: "https", tls: certificates.settings("m1"))
    let b = try makeMember(id: 0xb, scheme: "https", tls: certificates.settings("m2", allowedCN: "m1"))
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 5)])
    let arrived = await eventually(within: 10, every: .milliseconds(50)) {
      if b.recorder.messages.isEmpty { a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 5)]) }
      return !b.recorder.messages.isEmpty
    }
    await stopAll([a, b])
    #expect(arrived)
    #expect(b.recorder.messages.first?.commit == 5)
  }

  @Test func clientCertAuthRefusesAClientWithoutCertificate() async throws {
    let certificates = try PeerCertificates()
    defer { certificates.remove() }
    let a = try makeMember(id: 0xa, scheme: "https", tls: certificates.settings("m1"))
    try await a.transport.start()
    let noCertificate = PeerTLSSettings(certFile: "", keyFile: "", trustedCAFile: certificates.ca)
    // Refused by the handshake, not by running out of time (the bound is generous for a loaded machine).
    let refusal = await #expect(throws: PeerTransportError.self) {
      try await PeerTransport.fetchMembership(from: [a.url], tls: noCertificate, timeout: .seconds(30))
    }
    #expect(refusal?.description.contains("timed out") == false, "\(refusal.map(String.init(describing:)) ?? "")")
    // Answers that must arrive get a generous bound: the suite runs beside others on a loaded machine.
    let withCertificate = try await PeerTransport.fetchMembership(
      from: [a.url], tls: certificates.settings("m2"), timeout: .seconds(30))
    await a.transport.stop()
    #expect(withCertificate == Array("members-of-cluster".utf8))
  }

  @Test func clientCertificateWithAnotherCommonNameIsRefused() async throws {
    let certificates = try PeerCertificates()
    defer { certificates.remove() }
    let a = try makeMember(id: 0xa, scheme: "https", tls: certificates.settings("m1", allowedCN: "m1"))
    try await a.transport.start()
    var refusal: PeerTransportError?
    do {
      _ = try await PeerTransport.fetchMembership(from: [a.url], tls: certificates.settings("m2"), timeout: .seconds(30))
    } catch {
      refusal = error
    }
    let allowed = try await PeerTransport.fetchMembership(
      from: [a.url], tls: certificates.settings("m1"), timeout: .seconds(30))
    await a.transport.stop()
    #expect(refusal?.description.contains("CommonName authentication failed") == true)
    #expect(allowed == Array("members-of-cluster".utf8))
  }

  @Test func autoTLSPeersSkipCertificateVerification() async throws {
    let certificates = try PeerCertificates()
    defer { certificates.remove() }
    var selfSigned = certificates.settings("m1", clientCertAuth: false)
    selfSigned.trustedCAFile = ""
    selfSigned.skipVerify = true
    let a = try makeMember(id: 0xa, scheme: "https", tls: selfSigned)
    try await a.transport.start()
    let bytes = try await PeerTransport.fetchMembership(from: [a.url], tls: selfSigned, timeout: .seconds(30))
    await a.transport.stop()
    #expect(bytes == Array("members-of-cluster".utf8))
    var verifying = selfSigned
    verifying.skipVerify = false
    let b = try makeMember(id: 0xb, scheme: "https", tls: selfSigned)
    try await b.transport.start()
    let refusal = await #expect(throws: PeerTransportError.self) {
      try await PeerTransport.fetchMembership(from: [b.url], tls: verifying, timeout: .seconds(30))
    }
    #expect(refusal?.description.contains("timed out") == false, "\(refusal.map(String.init(describing:)) ?? "")")
    await b.transport.stop()
  }

  @Test func httpsListenerWithoutTLSSettingsIsRefused() throws {
    #expect(throws: PeerTransportError.missingTLS(url: "https://127.0.0.1:1")) {
      try PeerTransport(options: PeerTransportOptions(memberID: 1, clusterID: 1, listenURLs: ["https://127.0.0.1:1"]),
                        delegate: Recorder())
    }
  }
}
