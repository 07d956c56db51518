extension ServerConfiguration {
  /// How --auto-compaction-retention reads once --auto-compaction-mode is applied.
  public enum CompactionRetention: Sendable, Equatable {
    /// "0": no automatic compaction.
    case disabled
    /// Periodic mode: keep this much history ("5" means 5 hours, "30m" 30 minutes).
    case period(Duration)
    /// Revision mode: keep this many revisions.
    case revisions(Int64)
  }

  /// Parses --auto-compaction-retention as etcd's `parseCompactionRetention` does.
  public func compactionRetention() throws(ConfigurationError) -> CompactionRetention {
    let text = autoCompactionRetention.isEmpty ? "0" : autoCompactionRetention
    if let count = Int64(text), count >= 0 {
      if count == 0 { return .disabled }
      return autoCompactionMode == .revision ? .revisions(count) : .period(.seconds(count * 3600))
    }
    let duration: Duration
    do throws(GoValueParsing.Rejection) { duration = try GoValueParsing.duration(text) } catch {
      throw .startup("error parsing CompactionRetention: \(error.reason)")
    }
    if duration == .zero { return .disabled }
    // etcd keeps the Duration and reads it as a count in revision mode.
    if autoCompactionMode == .revision {
      let (seconds, attoseconds) = duration.components
      return .revisions(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
    return .period(duration)
  }

  /// --initial-cluster as a map from member name to its peer URLs (etcd's `types.NewURLsMap`).
  public func initialClusterMembers() throws(ConfigurationError) -> [String: [ConfigURL]] {
    var raw: [String: [String]] = [:]
    for pair in initialCluster.split(separator: ",", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      raw[String(parts[0]), default: []].append(parts.count > 1 ? String(parts[1]) : "")
    }
    var members: [String: [ConfigURL]] = [:]
    for (name, texts) in raw {
      var urls: [ConfigURL] = []
      for text in texts {
        do throws(GoValueParsing.Rejection) { urls.append(try ConfigURL.parseChecked(text)) } catch {
          throw .startup("error setting up initial cluster: \(error.reason)")
        }
      }
      members[name] = urls.sorted()
    }
    return members
  }

  /// The checks etcd makes as the member starts, in etcd's order and with its messages: cipher suite names, TLS
  /// files for https peer and client listeners, the initial cluster, the compaction retention, and (when the data
  /// dir holds no member yet) the bootstrap checks: this member in --initial-cluster, its URLs matching
  /// --initial-advertise-peer-urls, no URL used twice.
  ///
  /// - Parameter memberInitialized: whether the data dir already holds a member (a WAL); etcd then skips the
  ///   initial-cluster checks.
  public func verifyStartup(memberInitialized: Bool) throws(ConfigurationError) {
    for suite in cipherSuites where !Self.supportedCipherSuites.contains(suite) {
      throw .startup("unexpected TLS cipher suite \(goQuote(suite))")
    }
    for url in listenPeerURLs where url.scheme == "https" && peerTLS.isEmpty && !peerTLS.autoTLS {
      throw .startup("cannot listen on TLS for \(url.hostPort): KeyFile and CertFile are not presented")
    }
    for url in listenClientURLs where url.isSecure && clientTLS.isEmpty && !clientTLS.autoTLS {
      throw .startup("TLS key/cert (--cert-file, --key-file) must be provided for client url \(url) with HTTPS scheme")
    }
    guard !memberInitialized else { _ = try compactionRetention(); return }
    var members: [String: [ConfigURL]] = [:]
    if !discovery.isEmpty {
      members[name] = initialAdvertisePeerURLs
    } else if discoverySRV.isEmpty {
      members = try initialClusterMembers()
    }
    _ = try compactionRetention()
    guard discoverySRV.isEmpty else { return }
    guard let own = members[name] else {
      throw .startup("couldn't find local name \(goQuote(name)) in the initial cluster configuration")
    }
    if initialClusterState == .new {
      try checkAdvertiseMatchesCluster(own)
    }
    let all = members.values.flatMap { $0.map(\.description) }
    if Set(all).count != all.count {
      throw .startup("initial cluster \(Self.describe(members)) has duplicate url")
    }
    if initialClusterState == .existing && !discovery.isEmpty {
      throw .startup("discovery URL should not be set when joining existing initial cluster")
    }
  }

  private func checkAdvertiseMatchesCluster(_ own: [ConfigURL]) throws(ConfigurationError) {
    let advertised = initialAdvertisePeerURLs.sorted()
    let failure: String?
    if advertised.count != own.count {
      failure = "len(\(goQuote(advertised.map(\.description)))) != len(\(goQuote(own.map(\.description))))"
    } else {
      let left = advertised.map(Self.resolved).sorted(), right = own.map(Self.resolved).sorted()
      failure = zip(left, right).first { $0 != $1 }.map { "resolved urls: \(goQuote($0.description)) != \(goQuote($1.description))" }
    }
    guard let failure else { return }
    // etcd names the first of this member's initial-cluster URLs that the advertise URLs lack.
    let advertisedSet = Set(advertised.map(Self.resolved))
    let missing = own.first { !advertisedSet.contains(Self.resolved($0)) } ?? own.first
    let members = Self.describe([name: missing.map { [$0] } ?? []])
    let advertisedText = advertised.map(\.description).joined(separator: ",")
    throw .startup("--initial-cluster has \(members) but missing from --initial-advertise-peer-urls=\(advertisedText) (\(failure))")
  }

  /// etcd resolves host names before comparing; without DNS here, only "localhost" is resolved (to 127.0.0.1).
  private static func resolved(_ url: ConfigURL) -> ConfigURL {
    var copy = url
    if copy.host == "localhost" { copy.host = "127.0.0.1" }
    return copy
  }

  /// etcd's `URLsMap.String()`: name=url pairs sorted by name.
  static func describe(_ members: [String: [ConfigURL]]) -> String {
    members.keys.sorted().flatMap { name in members[name, default: []].map { "\(name)=\($0)" } }.joined(separator: ",")
  }

  /// The cipher suite names etcd 3.4 accepts in --cipher-suites (Go's crypto/tls names).
  public static let supportedCipherSuites: Set<String> = [
    "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
  ]
}
