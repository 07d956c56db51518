extension ConfigFileReader {
  /// The keys etcd 3.4.23 reads from a config file, with the Go type each is decoded into.
  static let keys: [String: Key] = {
    var keys: [String: Key] = [:]
    // Keys that behave like their flag once the type is right.
    let flagKeys: [(String, GoType)] = [
      ("name", .string), ("data-dir", .string), ("wal-dir", .string), ("snapshot-count", .uint64),
      ("max-snapshots", .uint), ("max-wals", .uint), ("heartbeat-interval", .uint), ("election-timeout", .uint),
      ("initial-election-tick-advance", .bool), ("backend-batch-interval", .duration), ("backend-batch-limit", .int),
      ("quota-backend-bytes", .int64), ("max-txn-ops", .uint), ("max-request-bytes", .uint),
      ("max-concurrent-streams", .uint32), ("cipher-suites", .strings), ("discovery-srv", .string),
      ("discovery-srv-name", .string), ("discovery-proxy", .string), ("discovery", .string),
      ("initial-cluster", .string), ("initial-cluster-token", .string), ("strict-reconfig-check", .bool),
      ("enable-v2", .bool), ("auto-compaction-retention", .string), ("grpc-keepalive-min-time", .duration),
      ("grpc-keepalive-interval", .duration), ("grpc-keepalive-timeout", .duration), ("pre-vote", .bool),
      ("auth-token", .string), ("bcrypt-cost", .uint), ("auth-token-ttl", .uint),
      ("experimental-initial-corrupt-check", .bool), ("experimental-corrupt-check-time", .duration),
      ("experimental-enable-v2v3", .string), ("experimental-backend-bbolt-freelist-type", .string),
      ("experimental-enable-lease-checkpoint", .bool), ("experimental-compaction-batch-limit", .int),
      ("experimental-peer-skip-client-san-verification", .bool),
      ("experimental-watch-progress-notify-interval", .duration),
      ("experimental-warning-apply-duration", .duration), ("force-new-cluster", .bool), ("unsafe-no-fsync", .bool),
      ("enable-pprof", .bool), ("log-output", .strings), ("log-outputs", .strings), ("debug", .bool),
      ("enable-grpc-gateway", .bool), ("log-package-levels", .string), ("host-whitelist", .string),
    ]
    for (name, type) in flagKeys {
      guard let flag = FlagTable.byName[name] else { continue }
      keys[name] = Key(type: type) { draft, text throws(ConfigurationError) in
        do throws(GoValueParsing.Rejection) { try flag.set(&draft, text) } catch { throw .invalidFlags("\(name): \(error.reason)") }
      }
    }
    // Settings etcd keeps as free strings and checks in validation.
    keys["logger"] = Key(type: .string) { draft, text in draft.logger = text }
    keys["log-level"] = Key(type: .string) { draft, text in draft.logLevel = text }
    keys["metrics"] = Key(type: .string) { draft, text in draft.metrics = text }
    keys["auto-compaction-mode"] = Key(type: .string) { draft, text in draft.autoCompactionMode = text }
    keys["initial-cluster-state"] = Key(type: .string) { draft, text in draft.clusterState = text }
    // URL lists are comma-separated strings; a bad one makes etcd print one line and exit 1.
    let urlKeys: [(String, String, @Sendable (inout ServerConfiguration, [ConfigURL]) -> Void)] = [
      ("listen-peer-urls", "listen-peer-urls", { $0.listenPeerURLs = $1 }),
      ("listen-client-urls", "listen-client-urls", { $0.listenClientURLs = $1 }),
      ("initial-advertise-peer-urls", "initial-advertise-peer-urls", { $0.initialAdvertisePeerURLs = $1 }),
      // etcd 3.4 names the wrong key in this message; kept so the text matches.
      ("advertise-client-urls", "advertise-peer-urls", { $0.advertiseClientURLs = $1 }),
      ("listen-metrics-urls", "listen-metrics-urls", { $0.listenMetricsURLs = $1 }),
    ]
    for (name, reportedName, store) in urlKeys {
      keys[name] = Key(type: .string) { draft, text throws(ConfigurationError) in
        if text.isEmpty { return }
        do throws(GoValueParsing.Rejection) { store(&draft.config, try ConfigURL.parseList(text)) } catch {
          throw .configFileURLs(key: reportedName, reason: error.reason)
        }
      }
    }
    keys["cors"] = Key(type: .string) { draft, text throws(ConfigurationError) in
      if text.isEmpty { return }
      do throws(GoValueParsing.Rejection) { try FlagTable.byName["cors"]?.set(&draft, text) } catch {
        throw .configFileURLs(key: "cors", reason: error.reason)
      }
    }
    // The v2 proxy keys are decoded into a second struct, after the first one validated.
    for name in ["proxy-failure-wait", "proxy-refresh-interval", "proxy-dial-timeout", "proxy-write-timeout",
                 "proxy-read-timeout"] {
      guard let flag = FlagTable.byName[name] else { continue }
      keys[name] = Key(type: .uint, structName: "configProxy") { draft, text throws(ConfigurationError) in
        do throws(GoValueParsing.Rejection) { try flag.set(&draft, text) } catch { throw .invalidFlags("\(name): \(error.reason)") }
      }
    }
    keys["discovery-fallback"] = Key(type: .string, structName: "configProxy") { draft, text throws(ConfigurationError) in
      if text.isEmpty { return }
      guard let value = ServerConfiguration.DiscoveryFallback(rawValue: text) else {
        throw .startup("unexpected error setting up discovery-fallback flag: invalid value")
      }
      draft.config.discoveryFallback = value
    }
    keys["proxy"] = Key(type: .string, structName: "configProxy") { draft, text throws(ConfigurationError) in
      if text.isEmpty { return }
      guard let value = ServerConfiguration.ProxyMode(rawValue: text) else {
        throw .startup("unexpected error setting up proxyFlag: invalid value")
      }
      draft.config.proxy = value
    }
    return keys
  }()
}
