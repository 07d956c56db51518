// Settings of one client listener, with etcd 3.4's defaults.

/// What one `--listen-client-urls` listener needs: address, TLS, gRPC limits and keepalive, HTTP body limit.
public struct ClientListenerConfiguration: Sendable {
  /// etcd's gRPC overhead allowance: the server accepts messages up to `--max-request-bytes` plus this.
  public static let grpcOverheadBytes = 512 * 1024
  /// etcd's `--max-request-bytes` default (1.5 MiB).
  public static let defaultMaxRequestBytes = 1_572_864

  public var url: ListenURL
  /// TLS settings; required when `url` is https (use ``ListenerTLS/selfSigned(directory:hosts:commonName:cipherSuites:)``
  /// for `--auto-tls`).
  public var tls: ListenerTLS?
  /// `--max-request-bytes`.
  public var maxRequestBytes: Int = defaultMaxRequestBytes
  /// Largest HTTP/1.1 request body accepted; nil means twice the gRPC receive limit (JSON with base64 values is
  /// about 4/3 the size of the protobuf it carries). Larger bodies get ``HTTPResponse/bodyTooLarge(size:limit:)``.
  public var maxHTTPBodyBytes: Int?
  /// `--grpc-keepalive-min-time`: clients may ping this often, also with no call open.
  public var keepaliveMinTime: Duration = .seconds(5)
  /// `--grpc-keepalive-interval`: the server pings an idle connection after this long.
  public var keepaliveInterval: Duration = .seconds(2 * 60 * 60)
  /// `--grpc-keepalive-timeout`: the server closes a connection whose ping goes unanswered this long.
  public var keepaliveTimeout: Duration = .seconds(20)
  /// `--max-concurrent-streams` per connection; nil means unlimited (etcd's default is math.MaxUint32).
  public var maxConcurrentStreams: Int?

  public init(url: ListenURL, tls: ListenerTLS? = nil) {
    self.url = url
    self.tls = tls
  }

  /// The gRPC server's maximum receive message size (etcd 3.4: `MaxCallRecvMsgSize`).
  public var maxReceiveMessageBytes: Int { Self.maxReceiveMessageBytes(maxRequestBytes: maxRequestBytes) }

  /// The gRPC receive limit for `--max-request-bytes` (the JSON gateway refuses larger messages as gRPC does).
  public static func maxReceiveMessageBytes(maxRequestBytes: Int) -> Int { maxRequestBytes + grpcOverheadBytes }

  /// The HTTP/1.1 body limit in effect.
  public var effectiveMaxHTTPBodyBytes: Int { maxHTTPBodyBytes ?? 2 * maxReceiveMessageBytes }
}
