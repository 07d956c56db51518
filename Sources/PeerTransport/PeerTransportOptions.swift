// Configuration of a member's peer transport: identity, listeners, TLS, timing and the log sink.
import Foundation

/// Severity of a peer transport log line.
public enum PeerLogLevel: String, Sendable, Hashable {
  case debug, info, warn, error
}

/// Peer TLS (etcd's --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth,
/// --peer-cert-allowed-cn, --peer-auto-tls). Used for the https listener and for dialing https peers.
public struct PeerTLSSettings: Sendable, Hashable {
  /// PEM certificate chain, presented as server and as client certificate. Empty: no client certificate is sent.
  public var certFile: String
  /// PEM private key of `certFile`.
  public var keyFile: String
  /// PEM CA bundle that peer certificates must chain to; empty means the system roots.
  public var trustedCAFile: String
  /// The server requires and verifies client certificates (against `trustedCAFile`).
  public var clientCertAuth: Bool
  /// When non-empty, a client certificate's common name must equal it (needs `clientCertAuth`).
  public var allowedCN: String
  /// Auto TLS (self-signed peers): neither side verifies the other's certificate.
  public var skipVerify: Bool

  /// Creates peer TLS settings.
  public init(
    certFile: String, keyFile: String, trustedCAFile: String = "", clientCertAuth: Bool = false,
    allowedCN: String = "", skipVerify: Bool = false
  ) {
    self.certFile = certFile
    self.keyFile = keyFile
    self.trustedCAFile = trustedCAFile
    self.clientCertAuth = clientCertAuth
    self.allowedCN = allowedCN
    self.skipVerify = skipVerify
  }
}

/// How a member's peer transport is set up.
public struct PeerTransportOptions: Sendable {
  /// This member's ID.
  public var memberID: UInt64
  /// The cluster's ID; peers with another one are refused.
  public var clusterID: UInt64
  /// Addresses to serve peers on (`http://127.0.0.1:2380`, `https://0.0.0.0:2380`); empty: no server.
  public var listenURLs: [String]
  /// Required for https listen or peer URLs.
  public var tls: PeerTLSSettings?
  /// Bound on dialing a peer and on unary calls (clock probe, membership); etcd's --dial-timeout.
  public var dialTimeout: Duration
  /// Where received snapshot data files are written (fsynced, then handed to the delegate).
  public var snapshotDirectory: String
  /// Messages queued for one peer at most; more are dropped and the peer reported unreachable (etcd: 4096).
  public var queueCapacity: Int
  /// How often each peer's clock and round-trip time are probed (etcd probes every few seconds).
  public var probeInterval: Duration
  /// The wall clock in nanoseconds since 1970 (injectable for tests); default `Date()`.
  public var wallClock: @Sendable () -> Int64
  /// Receives structured log lines: level, message, fields.
  public var log: @Sendable (PeerLogLevel, String, [String: String]) -> Void

  /// Creates options; `log` defaults to discarding lines.
  public init(
    memberID: UInt64, clusterID: UInt64, listenURLs: [String] = [], tls: PeerTLSSettings? = nil,
    dialTimeout: Duration = .seconds(1), snapshotDirectory: String = NSTemporaryDirectory(),
    queueCapacity: Int = 4096, probeInterval: Duration = .seconds(4),
    wallClock: @escaping @Sendable () -> Int64 = PeerTransportOptions.systemWallClock,
    log: @escaping @Sendable (PeerLogLevel, String, [String: String]) -> Void = { _, _, _ in }
  ) {
    self.memberID = memberID
    self.clusterID = clusterID
    self.listenURLs = listenURLs
    self.tls = tls
    self.dialTimeout = dialTimeout
    self.snapshotDirectory = snapshotDirectory
    self.queueCapacity = queueCapacity
    self.probeInterval = probeInterval
    self.wallClock = wallClock
    self.log = log
  }

  /// Nanoseconds since 1970 from `Date()`.
  public static let systemWallClock: @Sendable () -> Int64 = {
    Int64((Date().timeIntervalSince1970 * 1_000_000_000).rounded())
  }
}

/// What the transport knows about one peer (``PeerTransport/peerStatus()``).
public struct PeerStatus: Sendable, Hashable {
  /// Since when the message stream to the peer has been established (etcd's ActiveSince); nil while it is not.
  public var activeSince: ContinuousClock.Instant?
  /// The message stream to the peer is established.
  public var active: Bool { activeSince != nil }
  /// Smoothed round-trip time of the clock probe; nil before the first answer.
  public var roundTripTime: Duration?
  /// Local clock minus the peer's clock (RTT-corrected); nil before the first answer.
  public var clockDifference: Duration?
  /// Encoded message bytes written to the peer's stream (snapshot data not included).
  public var bytesSent: Int64
  /// Encoded message bytes received from the peer.
  public var bytesReceived: Int64

  /// Creates a status.
  public init(
    activeSince: ContinuousClock.Instant? = nil, roundTripTime: Duration? = nil, clockDifference: Duration? = nil,
    bytesSent: Int64 = 0, bytesReceived: Int64 = 0
  ) {
    self.activeSince = activeSince
    self.roundTripTime = roundTripTime
    self.clockDifference = clockDifference
    self.bytesSent = bytesSent
    self.bytesReceived = bytesReceived
  }
}
