import Foundation
import PKI

extension Deployer {
  // MARK: dirs: the service account and the member's folders, with etcd's permissions

  func dirsPhase(_ member: Member) async -> Member {
    await step(member, .dirs) { member throws(OpsError) in
      let node = member.host.node
      let owner = member.owner
      var script = "set -e\n"
      if let owner, !member.facts.serviceUserExists {
        let user = String(owner.split(separator: ":")[0])
        script += "if ! id \(shellQuote(user)) >/dev/null 2>&1; then \(options.dryRun ? "" : "useradd --system --user-group --no-create-home --home-dir \(shellQuote(node.dataDirectory)) --shell /usr/sbin/nologin \(shellQuote(user)); ")echo \"created user \(user)\"; fi\n"
      }
      // (path, mode, owned by the service user): data 0700 as etcd wants; keys folder 0700; the rest readable.
      var folders: [(String, String, Bool)] = [
        (node.dataDirectory, "700", true), (node.logDirectory, "750", true), (member.paths.pkiDirectory, "700", true),
        (node.configDirectory, "755", false), (node.binDirectory, "755", false),
      ]
      if let wal = node.walDirectory { folders.append((wal, "700", true)) }
      for (path, mode, owned) in folders {
        let quoted = shellQuote(path)
        let wantOwner = owned ? owner : nil
        let act = options.dryRun ? ":" : ""
        script += "if [ ! -d \(quoted) ]; then \(act) mkdir -p \(quoted); echo \"created \(path)\"; fi\n"
        script += "if [ -d \(quoted) ] && [ \"$(stat -c %a \(quoted))\" != \(mode) ]; then \(act) chmod \(mode) \(quoted); echo \"mode \(mode) on \(path)\"; fi\n"
        if let wantOwner {
          script += "if [ \"$(stat -c %U:%G \(quoted) 2>/dev/null)\" != \(shellQuote(wantOwner)) ]; then \(act) chown \(shellQuote(wantOwner)) \(quoted) 2>/dev/null || \(options.dryRun ? "true" : "false"); echo \"owner \(wantOwner) on \(path)\"; fi\n"
        }
      }
      let output = try await member.connection.check(script)
      return output.split(separator: "\n").map(String.init)
    }
  }

  // MARK: certs: CA and member certificates on this machine, then pushed to each member

  /// The local PKI: the CA (generated or the user's) and every member's server and peer certificate plus the
  /// tool's client certificate, reused while they still fit (SANs, CA, expiry).
  /// - Returns: why it failed, or nil.
  func prepareCertificates(_ members: [Member]) async -> String? {
    let store = PKIStore(directory: inventory.cluster.pkiDirectory)
    if options.dryRun {
      if (try? store.loadCA()) == nil { reporter.message("would create a CA and member certificates in \(store.directory)") }
      return nil
    }
    do {
      let ca: CertificateAuthority
      if let certPath = inventory.cluster.caCertificate, let keyPath = inventory.cluster.caKey {
        ca = try CertificateAuthority(certificatePEM: String(contentsOfFile: certPath, encoding: .utf8),
                                      privateKeyPEM: String(contentsOfFile: keyPath, encoding: .utf8),
                                      certificateSource: certPath, keySource: keyPath)
        if try store.installCA(ca) { reporter.message("using your CA \(certPath)") }
      } else {
        let (generated, changed) = try store.ensureCA(commonName: CertificateAuthority.defaultCommonName(cluster: inventory.cluster.name))
        ca = generated
        if changed { reporter.message("created CA \(store.caCertificatePath)") }
      }
      for member in members where member.failure == nil {
        for profile in [CertificateProfile.server, .peer] {
          let outcome = try store.ensure(Self.request(for: member, profile: profile), at: store.files(node: member.name, profile: profile), ca: ca)
          if outcome.changed {
            reporter.message("issued \(profile) certificate for \(member.name)\(outcome.reissueReason.map { " (\($0))" } ?? "")")
          }
        }
      }
      _ = try store.ensure(CertificateRequest(profile: .client, commonName: "root"), at: store.clientFiles(user: "root"), ca: ca)
      return nil
    } catch {
      return "certificates: \(error); fix the PKI folder \(store.directory) (or the CA files) and run again"
    }
  }

  /// Names every address and name the member is reached by, plus loopback.
  static func request(for member: Member, profile: CertificateProfile) -> CertificateRequest {
    let address = member.host.address
    let isIP = RenderContext.isIPLiteral(address)
    var dns = [member.name, "localhost"]
    if !member.facts.hostname.isEmpty { dns.append(member.facts.hostname) }
    if !isIP { dns.append(address) }
    var ips = ["127.0.0.1"]
    if isIP { ips.append(address) }
    return CertificateRequest(profile: profile, commonName: member.name,
                              dnsNames: Array(Set(dns)).sorted(), ipAddresses: Array(Set(ips)).sorted())
  }

  func certsPhase(_ member: Member) async -> Member {
    guard inventory.cluster.tls else { return member }
    return await step(member, .certs) { member throws(OpsError) in
      let store = PKIStore(directory: inventory.cluster.pkiDirectory)
      guard let server = try? store.files(node: member.name, profile: .server),
            let peer = try? store.files(node: member.name, profile: .peer) else { return [] }
      let pushes: [(String, String, Int, String?)] = [
        (store.caCertificatePath, member.paths.caCertificate, 0o644, nil),
        (server.certificatePath, member.paths.serverCertificate, 0o644, nil),
        (server.keyPath, member.paths.serverKey, 0o600, member.owner),
        (peer.certificatePath, member.paths.peerCertificate, 0o644, nil),
        (peer.keyPath, member.paths.peerKey, 0o600, member.owner),
      ]
      try Self.checkValidity(of: [server.certificatePath, peer.certificatePath], on: member)
      var changes: [String] = []
      for (local, remote, mode, owner) in pushes {
        guard let data = FileManager.default.contents(atPath: local) else {
          if options.dryRun { changes.append("push \(remote) (to be issued)"); continue }
          throw .fileFailed(host: "controller", path: local, message: "missing; the certs phase could not create it")
        }
        if try await member.writeIfChanged(data, to: remote, mode: mode, owner: owner, dryRun: options.dryRun) {
          changes.append("pushed \(remote)")
        }
      }
      if !changes.isEmpty { member.needsRestart = true }
      return changes
    }
  }

  /// A certificate is refused by its own member while the member's clock is before NotBefore (or after
  /// NotAfter): compare with the host's clock, not this machine's.
  static func checkValidity(of certificates: [String], on member: Member) throws(OpsError) {
    let hostNow = Date().addingTimeInterval((member.facts.clockOffsetMilliseconds ?? 0) / 1000)
    for path in certificates {
      guard let pem = try? String(contentsOfFile: path, encoding: .utf8),
            let certificate = try? InspectedCertificate(pem: pem, source: path) else { continue }
      if hostNow < certificate.notValidBefore {
        throw .fileFailed(host: member.name, path: path, message: "not valid until \(certificate.notValidBefore) but the host's clock says \(hostNow); fix the host's clock (time sync) and run again")
      }
      if hostNow > certificate.notValidAfter {
        throw .fileFailed(host: member.name, path: path, message: "expired at \(certificate.notValidAfter) by the host's clock (\(hostNow)); delete it so deploy issues a new one, or fix the host's clock")
      }
    }
  }

  // MARK: binaries

  func binariesPhase(_ member: Member) async -> Member {
    await step(member, .binaries) { member throws(OpsError) in
      var changes: [String] = []
      for (local, remote, isServer) in [(member.serverBinary, member.paths.serverBinary, true),
                                        (member.ctlBinary, member.paths.ctlBinary, false)] {
        guard FileManager.default.isReadableFile(atPath: local) else {
          throw .fileFailed(host: "controller", path: local,
                            message: "not found; build it (swift build -c release) or set cluster.binary / ctl_binary")
        }
        let name = member.name
        let reporter = self.reporter
        let pushed = try await member.pushIfChanged(local: local, remote: remote, progress: { sent, total in
          reporter.update(name, "binaries: uploading \((remote as NSString).lastPathComponent) \(total > 0 ? sent * 100 / total : 100)%", transient: true)
        }, dryRun: options.dryRun)
        guard let localHash = pushed else { continue }
        changes.append("pushed \(remote) (sha256 \(localHash.prefix(12)))")
        if isServer { member.needsRestart = true }
      }
      return changes
    }
  }

  // MARK: config: etcd.conf, the systemd unit and the supervisor script

  func configPhase(_ member: Member) async -> Member {
    await step(member, .config) { member throws(OpsError) in
      let currentConfig = try member.configOnHost.get()
      let context = RenderContext.make(inventory: inventory, host: member.host, members: inventory.hosts, state: .new,
                                       bootstrap: bootstrapValues(for: member, currentConfig: currentConfig))
      let files: [(String, String, Int, Bool)] = [
        ("etcd.conf", member.paths.config, 0o644, true),
        ("etcd.service", member.paths.unit, 0o644, true),
        ("supervise.sh", member.paths.supervisor, 0o755, false),
      ]
      var changes: [String] = []
      for (template, path, mode, restarts) in files {
        let rendered = try templates.render(template, context)
        let isConfig = path == member.paths.config
        let current: String?
        if isConfig { current = currentConfig } else { current = try await member.connection.readFile(path).map { String(decoding: $0, as: UTF8.self) } }
        guard current != rendered else { continue }
        let diff = UnifiedDiff.render(old: current ?? "", new: rendered, oldLabel: "\(member.name):\(path)\(current == nil ? " (new file)" : "")",
                                      newLabel: "\(member.name):\(path) (rendered)")
        if !options.dryRun {
          try await member.connection.writeFile(Data(rendered.utf8), to: path, mode: mode, owner: nil)
          if isConfig { member.configOnHost = .success(rendered) }
        }
        changes.append(options.dryRun ? "change \(path)\n\(diff)" : "wrote \(path)")
        if restarts { member.needsRestart = true }
      }
      if !options.dryRun { try await verifyUnit(member) }
      return changes
    }
  }

  /// A joining member's values; else, for a member that already has data, the values its file has (etcd ignores
  /// them once initialized, so re-rendering them from today's inventory would only restart it for nothing);
  /// else nil (the inventory's: a new cluster of all hosts).
  func bootstrapValues(for member: Member, currentConfig: String?) -> BootstrapValues? {
    if let joining = options.bootstrap[member.name] { return joining }
    if member.facts.dataDirectory == .member, let currentConfig { return BootstrapValues.parse(config: currentConfig) }
    return nil
  }

  /// `systemd-analyze verify` on the rendered unit where the host has it (also where systemd is not running).
  private func verifyUnit(_ member: Member) async throws(OpsError) {
    let unit = shellQuote(member.paths.unit)
    let output = try await member.connection.run(
      "command -v systemd-analyze >/dev/null || exit 0; systemd-analyze verify \(unit) 2>&1 | grep -F \(shellQuote((member.paths.unit as NSString).lastPathComponent + ":")) ; true",
      stdin: nil, timeout: .seconds(60))
    let complaints = output.stdout.split(separator: "\n")
    if !complaints.isEmpty {
      throw .commandFailed(host: member.name, command: "systemd-analyze verify \(member.paths.unit)", status: 1,
                           stderr: complaints.joined(separator: "\n") + "\nfix the unit template (templates/etcd.service)")
    }
  }

  // MARK: firewall

  func firewallPhase(_ member: Member) async -> Member {
    await step(member, .firewall) { member throws(OpsError) in
      guard let backend = Firewall.backend(choice: member.host.node.firewall, facts: member.facts) else { return [] }
      let rules = FirewallRule.rules(for: member.host, in: inventory, controllerAddress: member.facts.controllerAddress)
      return try await Firewall.apply(rules: rules, cluster: inventory.cluster.name, backend: backend,
                                      dryRun: options.dryRun, on: member.connection).actions
    }
  }

  // MARK: service

  func servicePhase(_ member: Member) async -> Member {
    await step(member, .service) { member throws(OpsError) in
      let service = member.service
      guard service.kind == .systemd else { return [] }
      if try await service.isEnabled() { return [] }
      if !options.dryRun { try await service.enable() }
      return ["enabled \(member.host.node.serviceName).service"]
    }
  }

}
