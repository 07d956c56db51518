// Leaf certificates per profile, checked with `openssl verify` and `openssl x509 -ext`.
import Foundation
import PKI
import Testing

@Suite struct IssueTests {
  static let nodeNames = ["node1.example.internal", "localhost"]
  static let nodeIPs = ["10.0.0.5", "127.0.0.1", "fd00::5"]

  @Test(arguments: [
    (CertificateProfile.server, "sslserver", "TLS Web Server Authentication, TLS Web Client Authentication"),
    (CertificateProfile.peer, "sslserver", "TLS Web Server Authentication, TLS Web Client Authentication"),
    (CertificateProfile.peer, "sslclient", "TLS Web Server Authentication, TLS Web Client Authentication"),
    (CertificateProfile.client, "sslclient", "TLS Web Client Authentication"),
  ])
  func leafOfEachProfileVerifiesWithOpenSSLAndCarriesExactlyItsExtensions(
    profile: CertificateProfile, purpose: String, extendedKeyUsage: String
  ) throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let ca = try CertificateAuthority.generate(cluster: "test")
    let caPath = try dir.write("ca.crt", ca.certificatePEM)
    let request = profile == .client
      ? CertificateRequest(profile: .client, commonName: "root")
      : CertificateRequest(profile: profile, commonName: "node1", dnsNames: Self.nodeNames, ipAddresses: Self.nodeIPs)
    let leaf = try ca.issue(request)
    let leafPath = try dir.write("leaf.crt", leaf.certificatePEM)

    let verify = try OpenSSL.attempt(["verify", "-CAfile", caPath, "-purpose", purpose, leafPath])
    #expect(verify.status == 0, "\(verify.output)")
    #expect(verify.output.contains("leaf.crt: OK"))

    let ext = try OpenSSL.extensions(of: leafPath)
    #expect(ext["extendedKeyUsage"]?.value == extendedKeyUsage)
    #expect(ext["keyUsage"]?.value == "Digital Signature, Key Encipherment")
    #expect(ext["keyUsage"]?.critical == true)
    #expect(ext["basicConstraints"]?.value == "CA:FALSE")
    if profile == .client {
      #expect(ext["subjectAltName"] == nil)
    } else {
      #expect(ext["subjectAltName"]?.value
        == "DNS:node1.example.internal, DNS:localhost, IP Address:10.0.0.5, IP Address:127.0.0.1, IP Address:FD00:0:0:0:0:0:0:5")
    }
    let subject = try OpenSSL.run(["x509", "-in", leafPath, "-noout", "-subject", "-issuer"])
    #expect(subject.contains("subject=CN = \(request.commonName)"))
    #expect(subject.contains("issuer=CN = test swetcd CA"))
    // The key is the certificate's key.
    let keyPath = try dir.write("leaf.key", leaf.privateKeyPEM)
    #expect(try OpenSSL.run(["pkey", "-in", keyPath, "-pubout"])
      == OpenSSL.run(["x509", "-in", leafPath, "-noout", "-pubkey"]))
  }

  @Test func serialIsSixteenPositiveBytesAndKeyIdentifiersChainToTheCA() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let ca = try CertificateAuthority.generate(commonName: "serial CA")
    let caPath = try dir.write("ca.crt", ca.certificatePEM)
    var serials = Set<String>()
    for _ in 0..<5 {
      let leaf = try ca.issue(CertificateRequest(profile: .peer, commonName: "n", ipAddresses: ["127.0.0.1"]))
      let hex = leaf.inspection.serialNumberHex
      #expect(hex.count == 32)
      #expect(Int(hex.prefix(1), radix: 16)! < 8, "top bit set in \(hex)")
      serials.insert(hex)
      let leafPath = try dir.write("leaf.crt", leaf.certificatePEM)
      let printed = try OpenSSL.run(["x509", "-in", leafPath, "-noout", "-serial"])
      #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "serial=\(hex.uppercased())")
      let leafIDs = try OpenSSL.run(["x509", "-in", leafPath, "-noout", "-ext", "authorityKeyIdentifier,subjectKeyIdentifier"])
      let caIDs = try OpenSSL.run(["x509", "-in", caPath, "-noout", "-ext", "subjectKeyIdentifier"])
      let caSKI = caIDs.split(separator: "\n").last!.trimmingCharacters(in: .whitespaces)
      #expect(caSKI.count == 59)  // 20 bytes as XX:XX:...
      #expect(leafIDs.contains(caSKI))
      #expect(leafIDs.contains("X509v3 Subject Key Identifier"))
    }
    #expect(serials.count == 5)
  }

  @Test func explicitNotBeforeAndNotAfterAreHonoured() throws {
    let ca = try CertificateAuthority.generate(commonName: "validity CA")
    let now = Date()
    let backdated = now.addingTimeInterval(-3 * 86_400)
    let until = now.addingTimeInterval(90 * 86_400)
    let leaf = try ca.issue(CertificateRequest(profile: .server, commonName: "n1", ipAddresses: ["127.0.0.1"]),
                            notBefore: backdated, notAfter: until, now: now)
    #expect(abs(leaf.inspection.notValidBefore.timeIntervalSince(backdated)) < 1)
    #expect(abs(leaf.inspection.notValidAfter.timeIntervalSince(until)) < 1)

    let defaults = try ca.issue(CertificateRequest(profile: .server, commonName: "n1"), now: now)
    #expect(abs(defaults.inspection.notValidBefore.timeIntervalSince(now.addingTimeInterval(-3600))) < 1)
    #expect(abs(defaults.inspection.notValidAfter.timeIntervalSince(now.addingTimeInterval(365 * 86_400))) < 1)

    #expect(throws: PKIError.self) {
      try ca.issue(CertificateRequest(profile: .server, commonName: "n1"), notBefore: until, notAfter: backdated)
    }
  }

  @Test func badNamesAndAddressesAreRefusedWithTheOffendingValue() throws {
    let ca = try CertificateAuthority.generate(commonName: "names CA")
    #expect(throws: PKIError.invalidIPAddress("10.0.0.300")) {
      try ca.issue(CertificateRequest(profile: .server, commonName: "n", ipAddresses: ["10.0.0.300"]))
    }
    #expect(throws: PKIError.invalidIPAddress("10.0.0.0/8")) {
      try ca.issue(CertificateRequest(profile: .server, commonName: "n", ipAddresses: ["10.0.0.0/8"]))
    }
    #expect(throws: PKIError.invalidDNSName("bad name")) {
      try ca.issue(CertificateRequest(profile: .server, commonName: "n", dnsNames: ["bad name"]))
    }
    #expect(throws: PKIError.invalidCommonName("")) {
      try ca.issue(CertificateRequest(profile: .client, commonName: ""))
    }
    let message = String(describing: PKIError.invalidIPAddress("10.0.0.300"))
    #expect(message.contains("'10.0.0.300' is not an IPv4 or IPv6 address"))
  }

  @Test func duplicateAndBracketedAddressesCollapseToOneCanonicalSAN() throws {
    let ca = try CertificateAuthority.generate(commonName: "dup CA")
    let leaf = try ca.issue(CertificateRequest(
      profile: .peer, commonName: "n", dnsNames: ["LocalHost", "localhost"],
      ipAddresses: ["::1", "[::1]", "0:0:0:0:0:0:0:1", "127.0.0.1"]))
    #expect(leaf.inspection.dnsNames == ["localhost"])
    #expect(leaf.inspection.ipAddresses == ["::1", "127.0.0.1"])
  }
}
