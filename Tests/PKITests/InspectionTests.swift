// Inspecting existing certificates and deciding whether to reissue them.
import Foundation
import PKI
import Testing

@Suite struct InspectionTests {
  let ca: CertificateAuthority
  let request = CertificateRequest(
    profile: .server, commonName: "node1", dnsNames: ["node1", "localhost"], ipAddresses: ["10.0.0.4", "127.0.0.1"])

  init() throws {
    ca = try CertificateAuthority.generate(commonName: "inspect CA")
  }

  @Test func parsedCertificateReportsItsSANsValidityAndIssuer() throws {
    let now = Date()
    let issued = try ca.issue(request, now: now)
    let parsed = try InspectedCertificate(pem: issued.certificatePEM, source: "/tmp/server.crt")
    #expect(parsed == issued.inspection)
    #expect(parsed.commonName == "node1")
    #expect(parsed.issuerCommonName == "inspect CA")
    #expect(parsed.dnsNames == ["node1", "localhost"])
    #expect(parsed.ipAddresses == ["10.0.0.4", "127.0.0.1"])
    #expect(parsed.extendedKeyUsageNames == ["serverAuth", "clientAuth"])
    #expect(!parsed.isCertificateAuthority)
    #expect(ca.inspection.isCertificateAuthority)
    #expect(parsed.notValidBefore < now && parsed.notValidAfter > now)
    #expect(parsed.isSigned(by: ca))
    #expect(parsed.pem == issued.certificatePEM)
  }

  @Test func coversIsTrueOnlyWhenEveryNameAndAddressIsPresent() throws {
    let cert = try ca.issue(request).inspection
    #expect(cert.covers(dnsNames: ["node1"], ips: ["10.0.0.4"]))
    #expect(cert.covers(dnsNames: ["NODE1", "localhost"], ips: ["127.0.0.1", "10.0.0.4"]))
    #expect(cert.covers(ips: ["::ffff:10.0.0.4"]) == false)
    #expect(!cert.covers(ips: ["10.0.0.5"]))
    #expect(!cert.covers(dnsNames: ["node2"]))
    #expect(cert.missingNames(dnsNames: ["node1", "node2"], ips: ["10.0.0.5", "127.0.0.1"]) == ["node2", "10.0.0.5"])

    let v6 = try ca.issue(CertificateRequest(profile: .peer, commonName: "n", ipAddresses: ["fd00::0:5"])).inspection
    #expect(v6.covers(ips: ["fd00:0:0:0:0:0:0:5"]))
    #expect(v6.covers(ips: ["[fd00::5]"]))
    #expect(!v6.covers(ips: ["fd00::6"]))
  }

  @Test func currentCertificateNeedsNoReissue() throws {
    let now = Date()
    let cert = try ca.issue(request, now: now).inspection
    #expect(cert.needsReissue(for: request, ca: ca, now: now) == nil)
    // A request for fewer names is still covered.
    let fewer = CertificateRequest(profile: .server, commonName: "node1", ipAddresses: ["127.0.0.1"])
    #expect(cert.needsReissue(for: fewer, ca: ca, now: now) == nil)
  }

  @Test func missingSANIsTheReason() throws {
    let cert = try ca.issue(request).inspection
    var wider = request
    wider.ipAddresses.append("10.0.0.5")
    let reason = cert.needsReissue(for: wider, ca: ca)
    #expect(reason == .missingSubjectAltNames(["10.0.0.5"]))
    #expect(reason?.description == "SAN 10.0.0.5 missing")
    wider.dnsNames.append("node1.lan")
    #expect(cert.needsReissue(for: wider, ca: ca)?.description == "SANs node1.lan, 10.0.0.5 missing")
  }

  @Test func expiryWithinRenewalWindowIsTheReason() throws {
    let now = Date()
    let cert = try ca.issue(request, notAfter: now.addingTimeInterval(12 * 86_400 + 3600), now: now).inspection
    let reason = cert.needsReissue(for: request, ca: ca, now: now)
    #expect(reason == .expiresSoon(days: 12))
    #expect(reason?.description == "expires in 12 days")
    // With a shorter renewal window the same certificate is kept.
    #expect(cert.needsReissue(for: request, ca: ca, now: now, renewBefore: 10 * 86_400) == nil)
    // Once past notAfter it has expired.
    let later = now.addingTimeInterval(13 * 86_400)
    #expect(cert.needsReissue(for: request, ca: ca, now: later)?.description.hasPrefix("expired on ") == true)
  }

  @Test func certificateFromAnotherCAIsSignedByADifferentCA() throws {
    let other = try CertificateAuthority.generate(commonName: "inspect CA")  // same name, different key
    let cert = try other.issue(request).inspection
    #expect(!cert.isSigned(by: ca))
    #expect(cert.isSigned(by: other))
    let reason = cert.needsReissue(for: request, ca: ca)
    #expect(reason == .signedByDifferentCA)
    #expect(reason?.description == "signed by a different CA")
  }

  @Test func wrongProfileAndCommonNameAreReasons() throws {
    let client = try ca.issue(CertificateRequest(profile: .client, commonName: "root")).inspection
    let asServer = client.needsReissue(for: request, ca: ca)
    #expect(asServer == .wrongProfile(have: ["clientAuth"], want: .server))
    #expect(asServer?.description == "extended key usage is clientAuth, the server profile needs serverAuth, clientAuth")
    let otherUser = CertificateRequest(profile: .client, commonName: "alice")
    #expect(client.needsReissue(for: otherUser, ca: ca)?.description == "CN is 'root', expected 'alice'")
  }

  @Test func certificateMatchesOnlyItsOwnKey() throws {
    let one = try ca.issue(request)
    let two = try ca.issue(request)
    #expect(one.inspection.matches(privateKeyPEM: one.privateKeyPEM))
    #expect(!one.inspection.matches(privateKeyPEM: two.privateKeyPEM))
    #expect(!one.inspection.matches(privateKeyPEM: "garbage"))
  }

  @Test func unreadableCertificateNamesItsSource() throws {
    let error = #expect(throws: PKIError.self) {
      try InspectedCertificate(pem: "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                               source: "/etc/swetcd/pki/n1/server.crt")
    }
    let text = String(describing: error!)
    #expect(text.contains("cannot read /etc/swetcd/pki/n1/server.crt as a PEM certificate"))
  }
}
