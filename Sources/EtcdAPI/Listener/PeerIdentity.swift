// The verified client certificate's common name (TLS with --client-cert-auth), handed to gRPC and HTTP handlers.
// etcd uses it as the user name when auth is enabled and the request carries no token.
import Foundation
import GRPCCore
import NIOCore
import NIOSSL
import NIOTLS
import PKI
import Synchronization

/// How handlers learn who the TLS client is.
public enum PeerIdentity {
  /// gRPC request metadata key that carries the client certificate's common name. The listener removes any value
  /// a client sent under this key and sets it only from a verified certificate, so handlers may trust it.
  public static let commonNameMetadataKey = "swetcd-peer-common-name"

  /// The verified client certificate's common name of a gRPC request, or nil (plaintext, no client-cert-auth,
  /// or a certificate without a common name).
  public static func commonName(in metadata: Metadata) -> String? {
    for value in metadata[stringValues: commonNameMetadataKey] { return value }
    return nil
  }

  /// `ipv4:1.2.3.4:5` / `ipv6:[::1]:5`: the form grpc-swift uses for `ServerContext.remotePeer`.
  static func grpcPeerKey(_ address: SocketAddress?) -> String? {
    guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
    switch address {
    case .v4: return "ipv4:\(ip):\(port)"
    case .v6: return "ipv6:[\(ip)]:\(port)"
    default: return nil
    }
  }

  /// The common name of a DER certificate, through PKI's parser.
  static func commonName(der: [UInt8]) -> String? {
    let base64 = Data(der).base64EncodedString()
    var pem = "-----BEGIN CERTIFICATE-----\n"
    var index = base64.startIndex
    while index < base64.endIndex {
      let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
      pem += base64[index..<end] + "\n"
      index = end
    }
    pem += "-----END CERTIFICATE-----\n"
    return (try? InspectedCertificate(pem: pem))?.commonName
  }
}

/// Common names of the live TLS connections of one listener, by gRPC peer key. Written once per connection (at
/// handshake and close), read once per RPC.
final class PeerRegistry: Sendable {
  private let names = Mutex<[String: String]>([:])

  func set(_ name: String, for key: String) { names.withLock { $0[key] = name } }
  func remove(_ key: String) { _ = names.withLock { $0.removeValue(forKey: key) } }
  func name(for key: String) -> String? { names.withLock { $0[key] } }
}

/// Sits right after the TLS handler: on handshake completion it reads the verified peer certificate's common name
/// and records it for the connection; it forgets it when the connection closes.
final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer

  private let registry: PeerRegistry
  private var key: String?
  private(set) var commonName: String?

  init(registry: PeerRegistry) { self.registry = registry }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case TLSUserEvent.handshakeCompleted = event,
       let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
       let der = try? certificate.toDERBytes(),
       let name = PeerIdentity.commonName(der: der) {
      commonName = name
      if let peerKey = PeerIdentity.grpcPeerKey(context.channel.remoteAddress) {
        key = peerKey
        registry.set(name, for: peerKey)
      }
    }
    context.fireUserInboundEventTriggered(event)
  }

  func channelInactive(context: ChannelHandlerContext) {
    if let key { registry.remove(key) }
    key = nil
    context.fireChannelInactive()
  }
}

/// Puts the verified client certificate's common name into each gRPC request's metadata under
/// ``PeerIdentity/commonNameMetadataKey`` (after removing whatever the client sent there).
struct PeerIdentityInterceptor: ServerInterceptor {
  let registry: PeerRegistry

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    var request = request
    request.metadata.removeAllValues(forKey: PeerIdentity.commonNameMetadataKey)
    if let name = registry.name(for: context.remotePeer) {
      request.metadata.addString(name, forKey: PeerIdentity.commonNameMetadataKey)
    }
    return try await next(request, context)
  }
}
