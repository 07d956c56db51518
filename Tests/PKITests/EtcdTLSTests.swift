// The strongest proof: the real etcd 3.4 serves TLS with certificates from PKIStore, and the real etcdctl
// gets in only with the client certificate.
import Foundation
import PKI
import Testing
import TestSupport

@Suite(.serialized) struct EtcdTLSTests {
  @Test(.timeLimit(.minutes(2)))
  func realEtcdServesMutualTLSWithIssuedCertificatesAndRefusesClientsWithoutOne() async throws {
    let etcd = try #require(ChildProcess.which("etcd"), "etcd 3.4 is not installed")
    let etcdctl = try #require(ChildProcess.which("etcdctl"), "etcdctl 3.4 is not installed")
    let dir = try TempDirectory()
    defer { dir.remove() }

    let store = PKIStore(directory: dir.file("pki"))
    let (ca, _) = try store.ensureCA(commonName: CertificateAuthority.defaultCommonName(cluster: "tls-test"))
    let names = (dns: ["t", "localhost"], ips: ["127.0.0.1", "::1"])
    let server = try store.ensure(
      CertificateRequest(profile: .server, commonName: "t", dnsNames: names.dns, ipAddresses: names.ips),
      at: try store.files(node: "t", profile: .server), ca: ca)
    let peer = try store.ensure(
      CertificateRequest(profile: .peer, commonName: "t", dnsNames: names.dns, ipAddresses: names.ips),
      at: try store.files(node: "t", profile: .peer), ca: ca)
    let client = try store.ensure(
      CertificateRequest(profile: .client, commonName: "root"), at: try store.clientFiles(user: "root"), ca: ca)

    let clientPort = freeTCPPort(), peerPort = freeTCPPort()
    let clientURL = "https://127.0.0.1:\(clientPort)", peerURL = "https://127.0.0.1:\(peerPort)"
    let dataDir = dir.file("data")
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: false,
                                            attributes: [.posixPermissions: 0o700])
    let member = try ChildProcess.startLogged(etcd, [
      "--name", "t", "--data-dir", dataDir,
      "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
      "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
      "--initial-cluster", "t=\(peerURL)", "--initial-cluster-state", "new",
      "--cert-file", server.files.certificatePath, "--key-file", server.files.keyPath,
      "--trusted-ca-file", store.caCertificatePath, "--client-cert-auth",
      "--peer-cert-file", peer.files.certificatePath, "--peer-key-file", peer.files.keyPath,
      "--peer-trusted-ca-file", store.caCertificatePath, "--peer-client-cert-auth",
    ], logPath: dir.file("etcd.log"))
    defer { member.stop() }

    let withCert = [
      "--endpoints=\(clientURL)", "--cacert", store.caCertificatePath,
      "--cert", client.files.certificatePath, "--key", client.files.keyPath,
      "--dial-timeout=2s", "--command-timeout=3s",
    ]
    let env = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]

    // Wait for readiness: poll `endpoint health` until it succeeds or the deadline passes.
    let deadline = Date().addingTimeInterval(45)
    var health = try await ChildProcess.runDetached(etcdctl, withCert + ["endpoint", "health"], environment: env, timeout: 10)
    while health.status != 0 && Date() < deadline && member.process.isRunning {
      try await Task.sleep(for: .milliseconds(250))
      health = try await ChildProcess.runDetached(etcdctl, withCert + ["endpoint", "health"], environment: env, timeout: 10)
    }
    #expect(member.process.isRunning, "etcd exited early:\n\(member.output.suffix(3000))")
    #expect(health.status == 0, "etcdctl endpoint health with the client cert failed: \(health.stderr)\n\(member.output.suffix(3000))")
    #expect((health.stdout + health.stderr).contains("is healthy"))

    // A write and a read through the same mutual-TLS connection.
    let put = try await ChildProcess.runDetached(etcdctl, withCert + ["put", "pki-test", "ok"], environment: env, timeout: 10)
    #expect(put.status == 0, "\(put.stderr)")
    let get = try await ChildProcess.runDetached(
      etcdctl, withCert + ["get", "pki-test", "--print-value-only"], environment: env, timeout: 10)
    #expect(get.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

    // Without a client certificate etcd (--client-cert-auth) refuses the client.
    let withoutCert = [
      "--endpoints=\(clientURL)", "--cacert", store.caCertificatePath, "--dial-timeout=2s", "--command-timeout=3s",
    ]
    let refused = try await ChildProcess.runDetached(etcdctl, withoutCert + ["endpoint", "health"], environment: env, timeout: 15)
    #expect(refused.status != 0, "etcd accepted a client without a certificate: \(refused.stdout)")
    #expect((refused.stdout + refused.stderr).contains("unhealthy"))

    // The peer listener presents the peer certificate, valid for 127.0.0.1 under our CA, to a peer with its cert.
    let handshake = try OpenSSL.attempt([
      "s_client", "-connect", "127.0.0.1:\(peerPort)", "-CAfile", store.caCertificatePath,
      "-cert", peer.files.certificatePath, "-key", peer.files.keyPath,
      "-verify_return_error", "-verify_ip", "127.0.0.1", "-brief",
    ])
    #expect(handshake.status == 0, "\(handshake.output)")
    #expect(handshake.output.contains("Verification: OK"))

    _ = try await offPool { member.stop() }
    #expect(!member.process.isRunning)
  }
}
