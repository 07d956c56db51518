// The swetcd process: configuration -> member -> client listeners -> wait for SIGTERM/SIGINT -> graceful stop.
// The executable only calls `ServerRunner.main`.

import BuildInfo
import EtcdServer
import Foundation
import GRPCCore
import PeerTransport

/// Runs one swetcd member as etcd runs: flags, ETCD_* variables or --config-file; listeners on
/// --listen-client-urls serving gRPC and HTTP on each port.
public enum ServerRunner {
  /// The version lines (etcd's layout).
  public static let versionText = """
    swetcd Version: \(BuildInfo.version)
    etcd Compatible Version: \(BuildInfo.etcdCompatibleVersion)
    API Version: \(BuildInfo.etcdAPIVersion)
    OS/Arch: \(BuildInfo.platform)
    """

  public static let usageText = """
    Usage:

      swetcd [flags]
        Start a swetcd server (etcd 3.4-compatible flags, ETCD_* environment variables, or --config-file).

      swetcd --version
        Show the version of swetcd.

      swetcd -h | --help
        Show the help information about swetcd.

    Flags are etcd 3.4's (run `etcd --help` for their descriptions); clusters use swetcd's own peer protocol.
    """

  /// Runs the process; returns its exit status.
  public static func main(arguments: [String], environment: [String: String]) async -> Int32 {
    let loaded: LoadedConfiguration
    do {
      loaded = try ServerConfiguration.load(arguments: arguments, environment: environment)
    } catch {
      printError(error.description)
      if error.printsUsage { printError(usageText) }
      return error.exitStatus
    }
    switch loaded.action {
    case .printVersion:
      print(versionText)
      return 0
    case .printHelp:
      print(usageText)
      return 0
    case .run:
      break
    }
    let configuration = loaded.configuration
    let log = ServerLog(minimum: logLevel(configuration))
    for message in loaded.messages {
      if message.level == .warning { log.warn(message.message) } else { log.info(message.message) }
    }
    do {
      let initialized = FileManager.default.fileExists(atPath: configuration.walDirectory)
      try configuration.verifyStartup(memberInitialized: initialized)
      _ = try configuration.initialClusterMembers()
    } catch {
      log.error("failed to start", ["error": error.description])
      printError(error.description)
      return 1
    }
    let metrics = EtcdMetrics()
    let server: EtcdServer
    do {
      var settings = MemberSettings(configuration)
      settings.peerTLS = try peerTLS(configuration, settings.peerTLS)
      server = try await EtcdServer.open(settings: settings, log: log, observers: metrics.serverObservers)
      try await server.startPeers()
      // As etcd, clients are served once this member published its attributes through Raft.
      await server.waitUntilPublished()
    } catch {
      log.error("failed to start member", ["error": "\(error)"])
      printError("\(error)")
      return 1
    }
    let listeners: [ClientListener]
    do {
      listeners = try await startListeners(configuration, server: server, metrics: metrics, log: log)
    } catch {
      log.error("failed to serve client requests", ["error": "\(error)"])
      printError("\(error)")
      await server.stopPeers()
      server.stop()
      return 1
    }
    SystemdNotify.send("READY=1")
    let status = await waitForTermination(log: log, server: server, listeners: listeners)
    // All listeners stop accepting at once and share one grace period for their in-flight calls.
    await withTaskGroup(of: Void.self) { group in
      for listener in listeners { group.addTask { await listener.stop(gracePeriod: .seconds(5)) } }
    }
    await server.stopPeers()
    server.stop()
    log.info("stopped member", ["name": configuration.name])
    return status
  }

  /// Peer TLS: the configured files, or a self-signed certificate in <data-dir>/fixtures/peer with --peer-auto-tls.
  private static func peerTLS(_ configuration: ServerConfiguration, _ configured: PeerTLSSettings?) throws
    -> PeerTLSSettings?
  {
    let settings = configuration.peerTLS
    guard settings.isEmpty, settings.autoTLS else { return configured }
    let directory = configuration.dataDir + "/fixtures/peer"
    let hosts = Set(configuration.listenPeerURLs.map(\.host) + configuration.initialAdvertisePeerURLs.map(\.host))
    let generated = try ListenerTLS.selfSigned(directory: directory, hosts: hosts.sorted())
    return PeerTLSSettings(certFile: generated.certFile, keyFile: generated.keyFile, skipVerify: true)
  }

  private static func startListeners(
    _ configuration: ServerConfiguration, server: EtcdServer, metrics: EtcdMetrics, log: ServerLog
  ) async throws -> [ClientListener] {
    let services: [any RegistrableRPCService] = [
      KVService(server: server), WatchService(server: server), LeaseService(server: server),
      ClusterService(server: server, forwarder: forwarder(configuration)), MaintenanceService(server: server), LockService(server: server),
      ElectionService(server: server), HealthService(server: server), AuthService(server: server),
    ]
    let tls = try tls(configuration)
    let maxRequestBytes = Int(clamping: configuration.maxRequestBytes)
    var router = HTTPRouter()
    router.addBuiltinRoutes(
      healthy: { server.hasLeader && server.store.alarms().isEmpty }, metrics: metrics.registry,
      beforeScrape: { metrics.refresh(from: server) }, probes: true)
    router.addJSONGateway(
      server: server,
      maxReceiveMessageBytes: ClientListenerConfiguration.maxReceiveMessageBytes(maxRequestBytes: maxRequestBytes),
      forwarder: forwarder(configuration))
    let http = router
    var started: [ClientListener] = []
    for url in configuration.listenClientURLs {
      var listenerConfiguration = ClientListenerConfiguration(url: try ListenURL(parsing: url.description), tls: tls)
      listenerConfiguration.maxRequestBytes = maxRequestBytes
      listenerConfiguration.keepaliveMinTime = configuration.grpcKeepaliveMinTime
      listenerConfiguration.keepaliveInterval = configuration.grpcKeepaliveInterval
      listenerConfiguration.keepaliveTimeout = configuration.grpcKeepaliveTimeout
      let listener = ClientListener(
        configuration: listenerConfiguration, services: services, http: { await http.respond(to: $0) },
        metrics: metrics)
      do {
        let bound = try await listener.start()
        log.info("ready to serve client requests", ["address": bound.description])
        started.append(listener)
      } catch {
        for running in started { await running.stop(gracePeriod: .zero) }
        throw error
      }
    }
    return started
  }

  /// The client listeners' TLS: the configured files, or a self-signed certificate with --auto-tls.
  private static func tls(_ configuration: ServerConfiguration) throws -> ListenerTLS? {
    let settings = configuration.clientTLS
    if !settings.isEmpty {
      return ListenerTLS(
        certFile: settings.certFile, keyFile: settings.keyFile,
        trustedCAFile: settings.trustedCAFile.isEmpty ? nil : settings.trustedCAFile,
        clientCertAuth: settings.clientCertAuth, cipherSuites: configuration.cipherSuites)
    }
    if settings.autoTLS {
      let directory = configuration.dataDir + "/fixtures/client"
      let hosts = Set(configuration.listenClientURLs.map(\.host) + configuration.advertiseClientURLs.map(\.host))
      return try ListenerTLS.selfSigned(directory: directory, hosts: hosts.sorted(), cipherSuites: configuration.cipherSuites)
    }
    return nil
  }

  private static func logLevel(_ configuration: ServerConfiguration) -> ServerLog.Level {
    switch configuration.effectiveLogLevel {
    case .debug: .debug
    case .info: .info
    case .warn: .warn
    default: .error
    }
  }

  /// How a follower reaches the leader's client URLs (MemberPromote): trusting --trusted-ca-file and presenting
  /// this member's client certificate.
  private static func forwarder(_ configuration: ServerConfiguration) -> LeaderForwarder {
    let tls = configuration.clientTLS
    return LeaderForwarder(
      caFile: tls.trustedCAFile.isEmpty ? nil : tls.trustedCAFile, certFile: tls.certFile.isEmpty ? nil : tls.certFile,
      keyFile: tls.keyFile.isEmpty ? nil : tls.keyFile)
  }

  /// Returns the exit status once a signal came (0), the member was removed (0), or a client listener failed (1,
  /// as etcd exits on "listener failed", so that systemd or the supervisor restarts a member that serves nobody).
  private static func waitForTermination(log: ServerLog, server: EtcdServer, listeners: [ClientListener]) async -> Int32 {
    await withTaskGroup(of: Int32?.self) { group in
      group.addTask {
        await waitForSignal(log: log)
        return 0
      }
      group.addTask {
        await server.waitUntilRemoved()
        if !Task.isCancelled { log.warn("the member has been permanently removed from the cluster; shutting down") }
        return 0
      }
      for listener in listeners {
        group.addTask {
          guard let reason = await listener.waitUntilEndedUnexpectedly() else { return nil }
          log.error("listener failed", ["address": listener.configuration.url.description, "error": reason])
          printError("listener on \(listener.configuration.url) failed: \(reason); stopping so that the member is restarted")
          return 1
        }
      }
      var status: Int32 = 0
      for await case let finished? in group {
        status = finished
        break
      }
      group.cancelAll()
      return status
    }
  }

  /// Returns on the first SIGTERM or SIGINT.
  private static func waitForSignal(log: ServerLog) async {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    let queue = DispatchQueue(label: "signals")
    let (stream, continuation) = AsyncStream<Int32>.makeStream()
    let sources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { continuation.yield(number) }
      source.resume()
      return source
    }
    for await number in stream {
      log.info("received signal; shutting down", ["signal": number == SIGTERM ? "terminated" : "interrupt"])
      break
    }
    for source in sources { source.cancel() }
  }

  private static func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}
