import EtcdAPI
import EtcdClient
import Foundation
import Testing
import TestSupport

/// The same port over TLS: gRPC and HTTP/1.1, client-cert-auth, and the certificate common name reaching handlers.
@Suite struct TLSListenerTests {
  static let etcdctlInstalled = ChildProcess.which("etcdctl") != nil

  /// An HTTP route that echoes the verified client certificate's common name.
  static func whoAmIRouter() -> HTTPRouter {
    var router = builtinRouter()
    router.add(["GET"], exact: "/whoami") { request in .json("{\"cn\":\"\(request.peerCommonName ?? "")\"}") }
    return router
  }

  @Test func tlsPortServesGRPCAndHTTPOnTheSamePort() async throws {
    let certs = try TestCertificates()
    defer { certs.remove() }
    let tls = ListenerTLS(certFile: certs.serverCert, keyFile: certs.serverKey)
    try await withListener(scheme: .https, tls: tls, router: Self.whoAmIRouter()) { bound in
      #expect(bound.scheme == .https)
      let client = try EtcdClient(endpoints: ["https://127.0.0.1:\(bound.port)"], tls: EtcdTLS(caFile: certs.caFile))
      let status = try await client.closing { client async throws(EtcdClientError) in
        try await client.connections[0].status()
      }
      #expect(status.version == "plain")
      // curl offers h2 and http/1.1 by ALPN; the listener prefers http/1.1, which the HTTP side speaks.
      let version = try await curl(["-i", "--cacert", certs.caFile, "https://127.0.0.1:\(bound.port)/version"])
      #expect(version.stdout.hasPrefix("HTTP/1.1 200 OK"), "\(version.stdout) \(version.stderr)")
      #expect(version.stdout.hasSuffix("{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}"))
      let unknown = try await curl(["-i", "--cacert", certs.caFile, "https://127.0.0.1:\(bound.port)/nope"])
      #expect(unknown.stdout.hasPrefix("HTTP/1.1 404 Not Found"))
    }
  }

  @Test func clientCertAuthRefusesClientsWithoutCertificate() async throws {
    let certs = try TestCertificates()
    defer { certs.remove() }
    let tls = ListenerTLS(certFile: certs.serverCert, keyFile: certs.serverKey, trustedCAFile: certs.caFile,
                          clientCertAuth: true)
    try await withListener(scheme: .https, tls: tls, router: Self.whoAmIRouter()) { bound in
      let refused = try await curl(["--cacert", certs.caFile, "https://127.0.0.1:\(bound.port)/whoami"])
      #expect(refused.status != 0)
      #expect(!refused.stdout.contains("cn"))
      let client = try EtcdClient(endpoints: ["https://127.0.0.1:\(bound.port)"], tls: EtcdTLS(caFile: certs.caFile),
                                  callTimeout: .seconds(3))
      let result = await client.closing { client async -> Result<EndpointStatus, EtcdClientError> in
        do throws(EtcdClientError) { return .success(try await client.connections[0].status()) } catch {
          return .failure(error)
        }
      }
      #expect(throws: EtcdClientError.self) { try result.get() }
    }
  }

  @Test func clientCertificateCommonNameReachesGRPCAndHTTPHandlers() async throws {
    let certs = try TestCertificates()
    defer { certs.remove() }
    let tls = ListenerTLS(certFile: certs.serverCert, keyFile: certs.serverKey, trustedCAFile: certs.caFile,
                          clientCertAuth: true)
    try await withListener(scheme: .https, tls: tls, router: Self.whoAmIRouter()) { bound in
      let whoami = try await curl(["--cacert", certs.caFile, "--cert", certs.clientCert, "--key", certs.clientKey,
                                   "https://127.0.0.1:\(bound.port)/whoami"])
      #expect(whoami.stdout == "{\"cn\":\"alice\"}", "\(whoami.stderr)")
      let client = try EtcdClient(
        endpoints: ["https://127.0.0.1:\(bound.port)"],
        tls: EtcdTLS(caFile: certs.caFile, certFile: certs.clientCert, keyFile: certs.clientKey))
      let status = try await client.closing { client async throws(EtcdClientError) in
        try await client.connections[0].status()
      }
      #expect(status.version == "alice")
    }
  }

  @Test(.enabled(if: etcdctlInstalled, "etcdctl is not installed; run scripts/setup (Debian etcd-client)"))
  func realEtcdctlReachesTheTLSListenerWithItsCertificate() async throws {
    let certs = try TestCertificates()
    defer { certs.remove() }
    let tls = ListenerTLS(certFile: certs.serverCert, keyFile: certs.serverKey, trustedCAFile: certs.caFile,
                          clientCertAuth: true, cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"])
    try await withListener(scheme: .https, tls: tls, router: Self.whoAmIRouter()) { bound in
      let output = try await etcdctl([
        "--endpoints=https://127.0.0.1:\(bound.port)", "--dial-timeout=5s", "--cacert=\(certs.caFile)",
        "--cert=\(certs.clientCert)", "--key=\(certs.clientKey)", "endpoint", "status", "-w", "json",
      ])
      #expect(output.status == 0, "etcdctl failed: \(output.stderr)")
      #expect(output.stdout.contains("\"version\":\"alice\""))
    }
  }

  @Test func unknownCipherSuiteIsRejectedWithEtcdsMessage() async throws {
    let certs = try TestCertificates()
    defer { certs.remove() }
    let tls = ListenerTLS(certFile: certs.serverCert, keyFile: certs.serverKey, cipherSuites: ["TLS_FOO"])
    let listener = ClientListener(
      configuration: ClientListenerConfiguration(url: try ListenURL(parsing: "https://127.0.0.1:0"), tls: tls),
      services: [], http: builtinRouter().respond(to:))
    await #expect(throws: EtcdAPIError.unknownCipherSuite("TLS_FOO")) { try await listener.start() }
    #expect(EtcdAPIError.unknownCipherSuite("TLS_FOO").description == "unexpected TLS cipher suite \"TLS_FOO\"")
  }

  @Test func autoTLSMakesAWorkingSelfSignedCertificateAndReusesIt() async throws {
    let directory = makeTemporaryDirectory("etcdapi-autotls")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let tls = try ListenerTLS.selfSigned(directory: "\(directory)/fixtures/client", hosts: ["127.0.0.1", "localhost"])
    let firstPEM = try String(contentsOfFile: tls.certFile, encoding: .utf8)
    let again = try ListenerTLS.selfSigned(directory: "\(directory)/fixtures/client", hosts: ["127.0.0.1"])
    #expect(try String(contentsOfFile: again.certFile, encoding: .utf8) == firstPEM)
    try await withListener(scheme: .https, tls: tls, router: builtinRouter()) { bound in
      let version = try await curl(["-k", "https://127.0.0.1:\(bound.port)/version"])
      #expect(version.stdout == "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}")
    }
  }
}
