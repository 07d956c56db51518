import Foundation
import PKI
import TestSupport

/// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, written to a temp dir (Sources/PKI).
struct TestCertificates: Sendable {
  let directory: String
  let files: ServerTLS

  static func make() throws -> TestCertificates {
    let directory = makeTemporaryDirectory("etcdctl-diff-tls")
    let ca = try CertificateAuthority.generate(cluster: "etcdctl-diff")
    let server = try ca.issue(CertificateRequest(profile: .server, commonName: "infra0", dnsNames: ["localhost"],
                                                 ipAddresses: ["127.0.0.1"]))
    let client = try ca.issue(CertificateRequest(profile: .client, commonName: "root"))
    let files = ServerTLS(caFile: directory + "/ca.crt", certFile: directory + "/server.crt",
                          keyFile: directory + "/server.key", clientCertFile: directory + "/client.crt",
                          clientKeyFile: directory + "/client.key")
    for (text, path) in [(ca.certificatePEM, files.caFile), (server.certificatePEM, files.certFile),
                         (server.privateKeyPEM, files.keyFile), (client.certificatePEM, files.clientCertFile),
                         (client.privateKeyPEM, files.clientKeyFile)] {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return TestCertificates(directory: directory, files: files)
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
