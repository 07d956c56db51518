// Forwards the one Cluster call only the leader can answer (MemberPromote: the leader alone knows how far the
// learner got) from a follower to the leader's client URL, with the caller's metadata. Plain http, or https
// trusting --trusted-ca-file (and presenting this member's certificate when client-cert auth is on there).

import EtcdProto
import EtcdServer
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf

/// Calls the leader on a follower's behalf.
public struct LeaderForwarder: Sendable {
  /// The TLS files used for https leaders: CA, certificate, key (nil: none).
  public var caFile: String?
  public var certFile: String?
  public var keyFile: String?

  public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
    self.caFile = caFile
    self.certFile = certFile
    self.keyFile = keyFile
  }

  /// MemberPromote as etcd answers it on any member: `server` answers when it leads; a follower asks the leader at
  /// its client URL, passing on `metadata` (the caller's token). Throws ``ServerError`` (this member's refusal, or
  /// no leader) or `RPCError` (the leader's refusal, code and text only).
  func memberPromote(
    _ request: Etcdserverpb_MemberPromoteRequest, on server: EtcdServer, caller: Caller, metadata: Metadata
  ) async throws -> Etcdserverpb_MemberPromoteResponse {
    do {
      return try await server.memberPromote(request, caller: caller)
    } catch ServerError.promoteNeedsLeader(let leader) {
      guard leader != 0, let urls = server.membership.member(leader)?.clientURLs, !urls.isEmpty else {
        throw ServerError.noLeader
      }
      return try await promote(request, metadata: metadata, to: urls)
    }
  }

  /// MemberPromote on the leader reachable at one of `urls`.
  func promote(_ request: Etcdserverpb_MemberPromoteRequest, metadata: Metadata, to urls: [String]) async throws
    -> Etcdserverpb_MemberPromoteResponse
  {
    var lastError: any Error = RPCError(code: .unavailable, message: "etcdserver: no leader")
    for text in urls {
      guard let url = URLComponents(string: text), let host = url.host, let port = url.port else { continue }
      let security: HTTP2ClientTransport.Posix.TransportSecurity
      if url.scheme == "https" {
        security = .tls(.defaults { config in
          if let caFile { config.trustRoots = .certificates([.file(path: caFile, format: .pem)]) }
          if let certFile, let keyFile {
            config.certificateChain = [.file(path: certFile, format: .pem)]
            config.privateKey = .file(path: keyFile, format: .pem)
          }
        })
      } else {
        security = .plaintext
      }
      do {
        let transport = try HTTP2ClientTransport.Posix(
          target: .dns(host: host, port: port), transportSecurity: security)
        return try await withGRPCClient(transport: transport) { client in
          var options = CallOptions.defaults
          options.timeout = .seconds(10)
          var forwarded = Metadata()
          for (key, value) in metadata where key == "token" || key == "authorization" {
            if case .string(let text) = value { forwarded.addString(text, forKey: key) }
          }
          return try await Etcdserverpb_Cluster.Client(wrapping: client).memberPromote(
            request, metadata: forwarded, options: options)
        }
      } catch let error as RPCError {
        // The leader's own refusal (not in sync, not a learner) is the answer: its code and text only. The client
        // side's error also holds the leader's response metadata, which must not go out again as our trailers.
        if error.code != .unavailable { throw RPCError(code: error.code, message: error.message) }
        lastError = RPCError(code: error.code, message: error.message)
      } catch {
        lastError = error
      }
    }
    throw lastError
  }
}
