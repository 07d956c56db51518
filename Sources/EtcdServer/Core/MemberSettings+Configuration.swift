// The member's settings from the server configuration (flags, ETCD_* variables or --config-file).

import PeerTransport

extension MemberSettings {
  /// The settings `configuration` asks for, with etcd's defaults where it leaves a value at 0.
  public init(_ configuration: ServerConfiguration) {
    self.init(name: configuration.name, dataDirectory: configuration.dataDir)
    walDirectory = configuration.walDir.isEmpty ? nil : configuration.walDir
    advertisePeerURLs = configuration.initialAdvertisePeerURLs.map(\.description)
    advertiseClientURLs = configuration.advertiseClientURLs.map(\.description)
    clusterToken = configuration.initialClusterToken
    if let members = try? configuration.initialClusterMembers() {
      initialCluster = members.mapValues { $0.map(\.description) }
    }
    joinExisting = configuration.initialClusterState == .existing
    forceNewCluster = configuration.forceNewCluster
    strictReconfigCheck = configuration.strictReconfigCheck
    listenPeerURLs = configuration.listenPeerURLs.map(\.description)
    peerTransportEnabled = true
    let peer = configuration.peerTLS
    if !peer.isEmpty || peer.autoTLS {
      peerTLS = PeerTLSSettings(
        certFile: peer.certFile, keyFile: peer.keyFile, trustedCAFile: peer.trustedCAFile,
        clientCertAuth: peer.clientCertAuth, allowedCN: configuration.peerCertAllowedCN, skipVerify: peer.autoTLS)
    }
    heartbeatInterval = configuration.heartbeatInterval
    electionTimeout = configuration.electionTimeout
    snapshotCount = configuration.snapshotCount
    maxSnapshots = Int(clamping: configuration.maxSnapshots)
    maxWALs = Int(clamping: configuration.maxWALs)
    quotaBackendBytes = configuration.quotaBackendBytes
    if configuration.backendBatchInterval > .zero { backendBatchInterval = configuration.backendBatchInterval }
    if configuration.backendBatchLimit > 0 { backendBatchLimit = Int(clamping: configuration.backendBatchLimit) }
    maxTxnOps = Int(clamping: configuration.maxTxnOps)
    maxRequestBytes = Int(clamping: configuration.maxRequestBytes)
    preVote = configuration.preVote
    unsafeNoFsync = configuration.unsafeNoFsync
    authToken = configuration.authToken
    authTokenTTL = configuration.authTokenTTL
    bcryptCost = Int(clamping: configuration.bcryptCost)
  }
}
