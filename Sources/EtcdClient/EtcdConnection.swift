import EtcdProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// One gRPC connection to one etcd (or swetcd) member. Calls fail fast when the member is unreachable and are
/// bounded by `callTimeout`. Call `close()` when done.
public final class EtcdConnection: Sendable {
  public let endpoint: EtcdEndpoint
  public let callTimeout: Duration
  private let channels: ChannelRotation


  /// Connects lazily: the first call dials. TLS is used when the endpoint's scheme is https.
  public init(endpoint: EtcdEndpoint, tls: EtcdTLS? = nil, callTimeout: Duration = .seconds(5)) throws(EtcdClientError) {
    self.endpoint = endpoint
    self.callTimeout = callTimeout
    let security: HTTP2ClientTransport.Posix.TransportSecurity
    if endpoint.scheme == .https {
      security = .tls(try Self.tlsConfig(tls ?? EtcdTLS()))
    } else {
      security = .plaintext
    }
    var settings = HTTP2ClientTransport.Posix.Config.defaults
    settings.backoff.initial = .milliseconds(100)
    settings.backoff.max = .seconds(2)
    let config = settings
    channels = try ChannelRotation { () throws(EtcdClientError) -> ChannelRotation.Client in
      do {
        return GRPCClient(transport: try HTTP2ClientTransport.Posix(
          target: Self.target(for: endpoint), transportSecurity: security, config: config))
      } catch {
        throw EtcdClientError.unavailable(endpoint: endpoint.description, message: "cannot set up the connection: \(error)")
      }
    }
  }

  private static func target(for endpoint: EtcdEndpoint) -> any ResolvableTarget {
    if endpoint.host.contains(":") { return .ipv6(address: endpoint.host, port: endpoint.port) }
    if endpoint.hostIsIPAddress { return .ipv4(address: endpoint.host, port: endpoint.port) }
    return .dns(host: endpoint.host, port: endpoint.port)
  }

  /// Closes the connection after in-flight calls finish.
  public func close() async {
    await channels.close()
  }

  private static func tlsConfig(_ tls: EtcdTLS) throws(EtcdClientError) -> HTTP2ClientTransport.Posix.TransportSecurity.TLS {
    for (path, role) in [(tls.caFile, "CA"), (tls.certFile, "certificate"), (tls.keyFile, "key")] {
      if let path, !FileManager.default.isReadableFile(atPath: path) { throw .tlsFileUnreadable(path: path, role: role) }
    }
    return .defaults { config in
      if let ca = tls.caFile { config.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
      if let cert = tls.certFile, let key = tls.keyFile {
        config.certificateChain = [.file(path: cert, format: .pem)]
        config.privateKey = .file(path: key, format: .pem)
      }
      if tls.insecureSkipVerify { config.serverCertificateVerification = .noVerification }
    }
  }

  /// Call options: bounded, and failing at once when the member cannot be reached instead of waiting for it.
  var options: CallOptions {
    var options = CallOptions.defaults
    options.timeout = callTimeout
    options.waitForReady = false
    return options
  }

  /// Runs one RPC, turning transport and status errors into `EtcdClientError` with etcd's message kept.
  /// The call runs on the channel `ChannelRotation` lends it, which stays open until the call is done.
  func call<T: Sendable>(
    _ method: String, _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
  ) async throws(EtcdClientError) -> T {
    do {
      return try await channels.withClient(body)
    } catch let error as EtcdClientError {
      throw error
    } catch let error as RPCError {
      switch error.code {
      case .unavailable where !error.message.hasPrefix("etcdserver:"):
        throw .unavailable(endpoint: endpoint.description, message: error.message)
      case .deadlineExceeded:
        throw .timedOut(endpoint: endpoint.description, method: method, seconds: Double(callTimeout.components.seconds))
      default:
        throw .server(endpoint: endpoint.description, method: method, code: error.code, message: error.message)
      }
    } catch {
      throw .unavailable(endpoint: endpoint.description, message: "\(error)")
    }
  }
}
