// The on-disk store: layout, permissions, reuse on re-runs, reissue when something no longer fits.
import Foundation
import PKI
import Testing

@Suite struct PKIStoreTests {
  static func requests(for node: String, ip: String) -> [CertificateRequest] {
    [
      CertificateRequest(profile: .server, commonName: node, dnsNames: [node, "localhost"], ipAddresses: [ip, "127.0.0.1"]),
      CertificateRequest(profile: .peer, commonName: node, dnsNames: [node, "localhost"], ipAddresses: [ip, "127.0.0.1"]),
    ]
  }

  /// One full "deploy" pass: CA, server+peer for two nodes, client cert for root. Returns whether anything changed.
  static func run(_ store: PKIStore, ips: [String: String]) throws -> (changed: Bool, ca: CertificateAuthority) {
    let (ca, caChanged) = try store.ensureCA(commonName: CertificateAuthority.defaultCommonName(cluster: "t"))
    var changed = caChanged
    for node in ips.keys.sorted() {
      for request in requests(for: node, ip: ips[node]!) {
        let outcome = try store.ensure(request, at: try store.files(node: node, profile: request.profile), ca: ca)
        changed = changed || outcome.changed
      }
    }
    let client = try store.ensure(
      CertificateRequest(profile: .client, commonName: "root"), at: try store.clientFiles(user: "root"), ca: ca)
    return (changed || client.changed, ca)
  }

  @Test func firstRunWritesTheLayoutWithSecureModesAndOpenSSLVerifiesEveryCertificate() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    let (changed, _) = try Self.run(store, ips: ["n1": "10.0.0.4", "n2": "10.0.0.5"])
    #expect(changed)

    let root = store.directory
    #expect(try permissions(root) == 0o700)
    #expect(try permissions("\(root)/n1") == 0o700)
    #expect(try permissions("\(root)/client") == 0o700)
    #expect(try permissions(store.caCertificatePath) == 0o644)
    #expect(try permissions(store.caKeyPath) == 0o600)
    for (cert, purpose) in [("n1/server", "sslserver"), ("n1/peer", "sslclient"), ("n2/server", "sslserver"),
                            ("n2/peer", "sslserver"), ("client/root", "sslclient")] {
      #expect(try permissions("\(root)/\(cert).crt") == 0o644)
      #expect(try permissions("\(root)/\(cert).key") == 0o600)
      let verify = try OpenSSL.attempt(["verify", "-CAfile", store.caCertificatePath, "-purpose", purpose, "\(root)/\(cert).crt"])
      #expect(verify.status == 0, "\(cert): \(verify.output)")
    }
    // No temp files left behind.
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }

  @Test func secondRunReusesEverythingAndChangesNothing() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    _ = try Self.run(store, ips: ["n1": "10.0.0.4"])
    let paths = ["ca.crt", "ca.key", "n1/server.crt", "n1/server.key", "n1/peer.crt", "client/root.key"]
    let before = try paths.map { try Data(contentsOf: URL(fileURLWithPath: "\(store.directory)/\($0)")) }

    let (changed, _) = try Self.run(store, ips: ["n1": "10.0.0.4"])
    #expect(!changed)
    let after = try paths.map { try Data(contentsOf: URL(fileURLWithPath: "\(store.directory)/\($0)")) }
    #expect(before == after)
  }

  @Test func newAddressOnANodeReissuesOnlyThatNodesCertificates() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    let (_, ca) = try Self.run(store, ips: ["n1": "10.0.0.4", "n2": "10.0.0.5"])
    let n2Before = try Data(contentsOf: URL(fileURLWithPath: "\(store.directory)/n2/server.crt"))

    var wider = Self.requests(for: "n1", ip: "10.0.0.4")[0]
    wider.ipAddresses.append("10.0.0.44")
    let outcome = try store.ensure(wider, at: try store.files(node: "n1", profile: .server), ca: ca)
    #expect(outcome.changed)
    #expect(outcome.reissueReason?.description == "SAN 10.0.0.44 missing")
    let onDisk = try #require(try store.inspect(outcome.files))
    #expect(onDisk.covers(ips: ["10.0.0.4", "10.0.0.44", "127.0.0.1"]))
    #expect(try Data(contentsOf: URL(fileURLWithPath: "\(store.directory)/n2/server.crt")) == n2Before)
    // And the next pass with the same request is a no-op again.
    #expect(try store.ensure(wider, at: outcome.files, ca: ca).changed == false)
  }

  @Test func replacedCAForcesReissueBecauseLeavesAreSignedByADifferentCA() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    _ = try Self.run(store, ips: ["n1": "10.0.0.4"])
    let userCA = try CertificateAuthority.generate(commonName: "user CA")
    #expect(try store.installCA(userCA))
    #expect(try store.installCA(userCA) == false)
    #expect(try store.loadCA() == userCA)

    let request = Self.requests(for: "n1", ip: "10.0.0.4")[1]
    let outcome = try store.ensure(request, at: try store.files(node: "n1", profile: .peer), ca: userCA)
    #expect(outcome.reissueReason == .signedByDifferentCA)
    let verify = try OpenSSL.attempt(["verify", "-CAfile", store.caCertificatePath, outcome.files.certificatePath])
    #expect(verify.status == 0, "\(verify.output)")
  }

  @Test func looseKeyModeIsTightenedAndMismatchedOrCorruptFilesAreReplaced() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    let (_, ca) = try Self.run(store, ips: ["n1": "10.0.0.4"])
    let request = Self.requests(for: "n1", ip: "10.0.0.4")[0]
    let files = try store.files(node: "n1", profile: .server)

    chmod(files.keyPath, 0o644)
    let fixed = try store.ensure(request, at: files, ca: ca)
    #expect(fixed.changed && fixed.reissueReason == nil)
    #expect(try permissions(files.keyPath) == 0o600)

    // The peer key put in place of the server key: the pair no longer matches.
    try FileManager.default.removeItem(atPath: files.keyPath)
    try FileManager.default.copyItem(atPath: "\(store.directory)/n1/peer.key", toPath: files.keyPath)
    #expect(try store.ensure(request, at: files, ca: ca).reissueReason == .keyMismatch)

    try "garbage".write(toFile: files.certificatePath, atomically: true, encoding: .utf8)
    #expect(try store.ensure(request, at: files, ca: ca).reissueReason == .unreadable(files.certificatePath))

    try FileManager.default.removeItem(atPath: files.keyPath)
    #expect(try store.ensure(request, at: files, ca: ca).reissueReason?.description == "private key missing")
    #expect(try store.ensure(request, at: files, ca: ca).changed == false)
  }

  @Test func halfACAIsAnErrorThatSaysWhatToDo() throws {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let store = PKIStore(directory: dir.file("pki"))
    _ = try store.ensureCA(commonName: "half CA")
    try FileManager.default.removeItem(atPath: store.caKeyPath)
    let error = #expect(throws: PKIError.self) { try store.loadCA() }
    #expect(error == .incompleteCA(present: store.caCertificatePath, missing: store.caKeyPath))
    #expect(String(describing: error!).contains("restore \(store.caKeyPath), or remove \(store.caCertificatePath)"))
  }

  @Test func unsafeNodeNamesAreRefused() throws {
    let store = PKIStore(directory: "/nonexistent")
    for name in ["", "..", "../etc", "a/b", ".hidden"] {
      #expect(throws: PKIError.invalidStoreName(name)) { try store.files(node: name, profile: .server) }
    }
    #expect(try store.files(node: "etcd-1.lan", profile: .peer).keyPath == "/nonexistent/etcd-1.lan/peer.key")
    #expect(try store.clientFiles(user: "root").certificatePath == "/nonexistent/client/root.crt")
  }
}
