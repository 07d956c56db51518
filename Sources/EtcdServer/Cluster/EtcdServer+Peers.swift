// The member's peers: the transport's settings, serving --listen-peer-urls, joining a running cluster
// (--initial-cluster-state existing asks a peer for the membership first), and learning of this member's removal.

import Foundation
import PeerTransport
import WAL

extension EtcdServer {
  static func peerOptions(_ settings: MemberSettings, memberID: UInt64, clusterID: UInt64, log: ServerLog)
    -> PeerTransportOptions
  {
    PeerTransportOptions(
      memberID: memberID, clusterID: clusterID, listenURLs: settings.listenPeerURLs, tls: settings.peerTLS,
      dialTimeout: .seconds(1),
      snapshotDirectory: settings.snapshotDirectory,
      log: { level, message, fields in
        let mapped: ServerLog.Level = switch level {
        case .debug: .debug
        case .info: .info
        case .warn: .warn
        case .error: .error
        }
        log.log(mapped, message, fields: fields, caller: "rafthttp")
      })
  }

  /// Opens the member as `init` does; a new member with --initial-cluster-state existing first asks the other
  /// members in --initial-cluster for the cluster's ID and membership, and must find itself there.
  public static func open(
    settings: MemberSettings, log: ServerLog = ServerLog(), observers: ServerObservers = ServerObservers()
  ) async throws(ServerError) -> EtcdServer {
    guard settings.joinExisting, !FileManager.default.fileExists(atPath: settings.effectiveWALDirectory) else {
      return try EtcdServer(settings: settings, log: log, observers: observers, joining: nil)
    }
    let own = Set(settings.advertisePeerURLs)
    let urls = settings.initialMembers.filter { $0.key != settings.name }.values.flatMap { $0 }
      .filter { !own.contains($0) }.sorted()
    guard !urls.isEmpty else {
      throw .storage(
        "--initial-cluster-state existing needs the running members' peer URLs in --initial-cluster (it names only "
          + "this member): give the whole cluster, as `etcdctl member add` prints it")
    }
    let bytes: [UInt8]
    do {
      bytes = try await PeerTransport.fetchMembership(from: urls, tls: settings.peerTLS, timeout: .seconds(5))
    } catch {
      throw .storage(
        "cannot join the cluster: no member answered at \(urls.joined(separator: ",")) (\(error)); start this member "
          + "once the cluster runs, and check --initial-cluster and the peer TLS settings")
    }
    guard let remote = ClusterBootstrap.RemoteCluster(decoding: bytes) else {
      throw .storage("cannot join the cluster: the answer from \(urls.joined(separator: ",")) is not a swetcd membership")
    }
    log.info("fetched the cluster membership from peers", [
      "cluster-id": String(remote.clusterID, radix: 16), "members": "\(remote.members.count)",
    ])
    return try EtcdServer(settings: settings, log: log, observers: observers, joining: remote)
  }

  /// Serves --listen-peer-urls (the transport already talks to peers before).
  public func startPeers() async throws(ServerError) {
    guard let transport else { return }
    do { try await transport.start() } catch {
      throw .storage("cannot serve peers: \(error)")
    }
    log.info("serving peer traffic", ["address": transport.boundURLs.joined(separator: ",")])
  }

  /// Stops serving and talking to peers.
  public func stopPeers() async {
    await transport?.stop()
  }

  /// Returns once this member was removed from the cluster (it applied its removal, or a peer refused it as
  /// removed); the process then stops.
  public func waitUntilRemoved() async {
    for await _ in removal.stream { return }
  }

  /// The transport's view of every peer (RTT, clock difference, activity).
  public func peerStatus() -> [UInt64: PeerStatus] {
    transport?.peerStatus() ?? [:]
  }
}
