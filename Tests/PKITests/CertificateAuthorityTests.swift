// Generating and loading CAs, checked with the real openssl CLI.
import Foundation
import PKI
import Testing

@Suite struct CertificateAuthorityTests {
  @Test func generatedCAIsACriticalCATrueWithCertSignUsageAndTenYearValidity() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let now = Date()
    let ca = try CertificateAuthority.generate(cluster: "prod", now: now)
    #expect(ca.commonName == "prod swetcd CA")
    #expect(ca.keyType == "ECDSA P-256")
    #expect(abs(ca.notValidAfter.timeIntervalSince(now) - 3650 * 86_400) < 2)
    #expect(ca.notValidBefore < now)
    let certPath = try dir.write("ca.crt", ca.certificatePEM)

    let ext = try OpenSSL.extensions(of: certPath)
    #expect(ext["basicConstraints"]?.critical == true)
    #expect(ext["basicConstraints"]?.value == "CA:TRUE")
    #expect(ext["keyUsage"]?.critical == true)
    #expect(ext["keyUsage"]?.value == "Certificate Sign, CRL Sign")
    let subject = try OpenSSL.run(["x509", "-in", certPath, "-noout", "-subject", "-issuer"])
    #expect(subject.contains("subject=CN = prod swetcd CA"))
    #expect(subject.contains("issuer=CN = prod swetcd CA"))
    // A self-signed root verifies against itself.
    let verify = try OpenSSL.attempt(["verify", "-CAfile", certPath, certPath])
    #expect(verify.status == 0, "\(verify.output)")
    // The key file openssl reads is the CA's key: same public key as the certificate.
    let keyPath = try dir.write("ca.key", try ca.privateKeyPEM())
    let fromKey = try OpenSSL.run(["pkey", "-in", keyPath, "-pubout"])
    let fromCert = try OpenSSL.run(["x509", "-in", certPath, "-noout", "-pubkey"])
    #expect(fromKey == fromCert)
  }

  @Test func caRoundTripsThroughPEM() throws {
    let ca = try CertificateAuthority.generate(commonName: "round trip CA")
    let loaded = try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: try ca.privateKeyPEM())
    #expect(loaded == ca)
    #expect(loaded.certificatePEM == ca.certificatePEM)
  }

  @Test(arguments: [
    ("P-256", ["ecparam", "-genkey", "-name", "prime256v1", "-noout"], "ECDSA P-256"),
    ("P-384", ["ecparam", "-genkey", "-name", "secp384r1", "-noout"], "ECDSA P-384"),
    ("RSA", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "RSA 2048-bit"),
  ])
  func userCAMadeByOpenSSLLoadsAndIssuesVerifiableLeaves(kind: String, keyArgs: [String], keyType: String) throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let keyPath = dir.file("user-ca.key")
    let certPath = dir.file("user-ca.crt")
    try OpenSSL.run(keyArgs + ["-out", keyPath])
    try OpenSSL.run([
      "req", "-x509", "-new", "-key", keyPath, "-subj", "/CN=user \(kind) CA", "-days", "30", "-out", certPath,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ])
    let ca = try CertificateAuthority(
      certificatePEM: try String(contentsOfFile: certPath, encoding: .utf8),
      privateKeyPEM: try String(contentsOfFile: keyPath, encoding: .utf8),
      certificateSource: certPath, keySource: keyPath)
    #expect(ca.keyType == keyType)
    #expect(ca.commonName == "user \(kind) CA")

    let leaf = try ca.issue(CertificateRequest(
      profile: .server, commonName: "n1", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]))
    let leafPath = try dir.write("leaf.crt", leaf.certificatePEM)
    let verify = try OpenSSL.attempt(["verify", "-CAfile", certPath, "-purpose", "sslserver", leafPath])
    #expect(verify.status == 0, "\(verify.output)")
    #expect(verify.output.contains("leaf.crt: OK"))
    // The leaf never outlives its CA (30 days here, although the default leaf validity is a year).
    #expect(leaf.inspection.notValidAfter <= ca.notValidAfter)
    #expect(leaf.inspection.isSigned(by: ca))
  }

  @Test func ed25519CAIsRefusedNamingTheSupportedKeyTypes() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let keyPath = dir.file("ed.key")
    let certPath = dir.file("ed.crt")
    try OpenSSL.run(["genpkey", "-algorithm", "ed25519", "-out", keyPath])
    try OpenSSL.run(["req", "-x509", "-new", "-key", keyPath, "-subj", "/CN=ed CA", "-days", "30", "-out", certPath])
    let error = #expect(throws: PKIError.self) {
      try CertificateAuthority(
        certificatePEM: try String(contentsOfFile: certPath, encoding: .utf8),
        privateKeyPEM: try String(contentsOfFile: keyPath, encoding: .utf8),
        certificateSource: certPath, keySource: keyPath)
    }
    #expect(error == .unsupportedKeyType(source: certPath, found: "Ed25519"))
    let message = error.map { String(describing: $0) } ?? ""
    #expect(message.contains(certPath))
    #expect(message.contains("ECDSA P-256, ECDSA P-384 and RSA"))
  }

  @Test func leafCertificateIsRefusedAsCA() throws {
    let ca = try CertificateAuthority.generate(commonName: "real CA")
    let leaf = try ca.issue(CertificateRequest(profile: .client, commonName: "root"))
    let error = #expect(throws: PKIError.self) {
      try CertificateAuthority(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM,
                               certificateSource: "/x/leaf.crt")
    }
    guard case .notACertificateAuthority(let source, let detail) = error else {
      Issue.record("expected notACertificateAuthority, got \(String(describing: error))")
      return
    }
    #expect(source == "/x/leaf.crt")
    #expect(detail.contains("CA:FALSE"))
  }

  @Test func keyOfAnotherCAIsRefusedAsMismatched() throws {
    let one = try CertificateAuthority.generate(commonName: "one")
    let two = try CertificateAuthority.generate(commonName: "two")
    #expect(throws: PKIError.keyDoesNotMatchCertificate(certificate: "/p/ca.crt", key: "/p/ca.key")) {
      try CertificateAuthority(certificatePEM: one.certificatePEM, privateKeyPEM: try two.privateKeyPEM(),
                               certificateSource: "/p/ca.crt", keySource: "/p/ca.key")
    }
  }

  @Test func unreadablePEMErrorNamesTheFile() throws {
    let ca = try CertificateAuthority.generate(commonName: "x")
    let certError = #expect(throws: PKIError.self) {
      try CertificateAuthority(certificatePEM: "not a pem", privateKeyPEM: try ca.privateKeyPEM(),
                               certificateSource: "/etc/swetcd/pki/ca.crt")
    }
    #expect(String(describing: certError!).contains("cannot read /etc/swetcd/pki/ca.crt as a PEM certificate"))
    let keyError = #expect(throws: PKIError.self) {
      try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                               keySource: "/etc/swetcd/pki/ca.key")
    }
    #expect(String(describing: keyError!).contains("cannot read /etc/swetcd/pki/ca.key as a PEM private key"))
  }
}
