// The on-disk layout of a cluster's certificates, and idempotent "make sure it is there and valid" operations.
import Foundation

/// Paths of one certificate and its key.
public struct CertificateFiles: Sendable, Hashable {
  /// The certificate (PEM, mode 0644).
  public let certificatePath: String
  /// The private key (PEM, mode 0600).
  public let keyPath: String
}

/// The result of ``PKIStore/ensure(_:at:ca:now:renewBefore:notBefore:notAfter:)``.
public struct StoreOutcome: Sendable {
  /// Where the certificate and key are.
  public let files: CertificateFiles
  /// True if a file was written or a mode or folder fixed; false if everything was already in place.
  public let changed: Bool
  /// Why the certificate was (re)issued; nil if the existing one was kept.
  public let reissueReason: ReissueReason?
  /// The certificate now on disk.
  public let certificate: InspectedCertificate
}

/// A folder holding a cluster's CA and certificates:
///
/// ```
/// <dir>/ca.crt  ca.key
/// <dir>/<node>/server.crt  server.key  peer.crt  peer.key
/// <dir>/client/<user>.crt  <user>.key
/// ```
/// Folders are 0700, keys 0600, certificates 0644; every file is written to a temp file, fsynced and renamed into
/// place. The `ensure...` operations keep valid existing files and report whether anything changed.
public struct PKIStore: Sendable, Hashable {
  /// The store's root folder.
  public let directory: String

  /// A store rooted at `directory` (created on first write).
  public init(directory: String) {
    self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
  }

  /// `<dir>/ca.crt`
  public var caCertificatePath: String { "\(directory)/ca.crt" }
  /// `<dir>/ca.key`
  public var caKeyPath: String { "\(directory)/ca.key" }

  /// `<dir>/<node>/server.crt|.key` or `<dir>/<node>/peer.crt|.key`; for `.client`, `<dir>/client/<node>.crt|.key`
  /// (so `node` is then the user name).
  /// - Throws: ``PKIError/invalidStoreName(_:)`` if `node` cannot be a folder name.
  public func files(node: String, profile: CertificateProfile) throws -> CertificateFiles {
    try Self.validateName(node)
    switch profile {
    case .server, .peer:
      return CertificateFiles(
        certificatePath: "\(directory)/\(node)/\(profile.rawValue).crt", keyPath: "\(directory)/\(node)/\(profile.rawValue).key")
    case .client:
      return try clientFiles(user: node)
    }
  }

  /// `<dir>/client/<user>.crt|.key`.
  public func clientFiles(user: String) throws -> CertificateFiles {
    try Self.validateName(user)
    return CertificateFiles(certificatePath: "\(directory)/client/\(user).crt", keyPath: "\(directory)/client/\(user).key")
  }

  /// Loads the CA from `ca.crt` + `ca.key`; nil if neither exists.
  /// - Throws: ``PKIError/incompleteCA(present:missing:)`` if only one exists, or the load errors of
  ///   ``CertificateAuthority/init(certificatePEM:privateKeyPEM:certificateSource:keySource:)`` naming the files.
  public func loadCA() throws -> CertificateAuthority? {
    let cert = try SecureFiles.read(caCertificatePath)
    let key = try SecureFiles.read(caKeyPath)
    switch (cert, key) {
    case (nil, nil): return nil
    case (.some, nil): throw PKIError.incompleteCA(present: caCertificatePath, missing: caKeyPath)
    case (nil, .some): throw PKIError.incompleteCA(present: caKeyPath, missing: caCertificatePath)
    case (.some(let cert), .some(let key)):
      return try CertificateAuthority(
        certificatePEM: cert, privateKeyPEM: key, certificateSource: caCertificatePath, keySource: caKeyPath)
    }
  }

  /// Returns the stored CA, or generates one named `commonName` (see
  /// ``CertificateAuthority/generate(commonName:notBefore:notAfter:now:)``) and stores it.
  /// - Returns: the CA, and whether anything was written or fixed.
  public func ensureCA(commonName: String, now: Date = Date()) throws -> (ca: CertificateAuthority, changed: Bool) {
    var changed = try SecureFiles.ensureDirectory(directory)
    if let existing = try loadCA() {
      changed = try fixModes(CertificateFiles(certificatePath: caCertificatePath, keyPath: caKeyPath)) || changed
      return (existing, changed)
    }
    let ca = try CertificateAuthority.generate(commonName: commonName, now: now)
    try write(ca)
    return (ca, true)
  }

  /// Stores `ca` (e.g. the user's own CA) as `ca.crt` + `ca.key` unless the same CA is already there.
  /// Certificates signed by a previous CA are reissued by the next ``ensure(_:at:ca:now:renewBefore:notBefore:notAfter:)``.
  /// - Returns: true if anything was written or fixed.
  public func installCA(_ ca: CertificateAuthority) throws -> Bool {
    var changed = try SecureFiles.ensureDirectory(directory)
    if let existing = try? loadCA(), existing == ca {
      changed = try fixModes(CertificateFiles(certificatePath: caCertificatePath, keyPath: caKeyPath)) || changed
      return changed
    }
    try write(ca)
    return true
  }

  private func write(_ ca: CertificateAuthority) throws {
    try SecureFiles.writeAtomically(try ca.privateKeyPEM(), to: caKeyPath, mode: SecureFiles.secretMode)
    try SecureFiles.writeAtomically(ca.certificatePEM, to: caCertificatePath, mode: SecureFiles.publicMode)
  }

  /// Makes sure `files` hold a certificate for `request` signed by `ca` and its key, reusing what is there when
  /// it still serves (see ``InspectedCertificate/needsReissue(for:ca:now:renewBefore:)``), else issuing anew.
  ///
  /// An unreadable or mismatched existing pair is replaced, never an error: these are leaves this store owns.
  /// - Parameters:
  ///   - notBefore, notAfter: Passed to ``CertificateAuthority/issue(_:notBefore:notAfter:now:)`` when issuing.
  public func ensure(
    _ request: CertificateRequest, at files: CertificateFiles, ca: CertificateAuthority, now: Date = Date(),
    renewBefore: TimeInterval = InspectedCertificate.defaultRenewBefore, notBefore: Date? = nil, notAfter: Date? = nil
  ) throws -> StoreOutcome {
    try request.validate()
    var changed = try SecureFiles.ensureDirectory(directory)
    let folder = (files.certificatePath as NSString).deletingLastPathComponent
    changed = try SecureFiles.ensureDirectory(folder) || changed

    let reason: ReissueReason
    switch try existing(files, request: request, ca: ca, now: now, renewBefore: renewBefore) {
    case .keep(let certificate):
      changed = try fixModes(files) || changed
      return StoreOutcome(files: files, changed: changed, reissueReason: nil, certificate: certificate)
    case .replace(let why):
      reason = why
    }
    let issued = try ca.issue(request, notBefore: notBefore, notAfter: notAfter, now: now)
    try SecureFiles.writeAtomically(issued.privateKeyPEM, to: files.keyPath, mode: SecureFiles.secretMode)
    try SecureFiles.writeAtomically(issued.certificatePEM, to: files.certificatePath, mode: SecureFiles.publicMode)
    return StoreOutcome(files: files, changed: true, reissueReason: reason, certificate: issued.inspection)
  }

  /// Reads the certificate at `files` without changing anything; nil if it does not exist.
  public func inspect(_ files: CertificateFiles) throws -> InspectedCertificate? {
    guard let pem = try SecureFiles.read(files.certificatePath) else { return nil }
    return try InspectedCertificate(pem: pem, source: files.certificatePath)
  }

  private enum Verdict {
    case keep(InspectedCertificate)
    case replace(ReissueReason)
  }

  private func existing(
    _ files: CertificateFiles, request: CertificateRequest, ca: CertificateAuthority, now: Date, renewBefore: TimeInterval
  ) throws -> Verdict {
    guard let certPEM = try SecureFiles.read(files.certificatePath) else { return .replace(.missing("certificate")) }
    guard let keyPEM = try SecureFiles.read(files.keyPath) else { return .replace(.missing("private key")) }
    let certificate: InspectedCertificate
    do {
      certificate = try InspectedCertificate(pem: certPEM, source: files.certificatePath)
    } catch {
      return .replace(.unreadable(files.certificatePath))
    }
    if !certificate.matches(privateKeyPEM: keyPEM) { return .replace(.keyMismatch) }
    if let reason = certificate.needsReissue(for: request, ca: ca, now: now, renewBefore: renewBefore) {
      return .replace(reason)
    }
    return .keep(certificate)
  }

  private func fixModes(_ files: CertificateFiles) throws -> Bool {
    let key = try SecureFiles.ensureMode(files.keyPath, SecureFiles.secretMode)
    let cert = try SecureFiles.ensureMode(files.certificatePath, SecureFiles.publicMode)
    return key || cert
  }

  /// Node and user names become folder and file names: letters, digits, '.', '-', '_', not starting with '.'.
  static func validateName(_ name: String) throws {
    let allowed = name.utf8.allSatisfy { byte in
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2E || byte == 0x2D || byte == 0x5F
    }
    guard !name.isEmpty, name.utf8.count <= 255, allowed, !name.hasPrefix(".") else {
      throw PKIError.invalidStoreName(name)
    }
  }
}
