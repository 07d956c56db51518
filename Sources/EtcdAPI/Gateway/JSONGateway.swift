// etcd 3.4's JSON gateway on the client port: every v3 RPC as `POST /v3/<service>/<method>` (and the same under
// /v3beta/), JSON in and out as grpc-gateway's JSONPb marshaler writes it, answered by the member directly.

import EtcdProto
import EtcdServer
import GRPCCore
import NIOHTTP1
import SwiftProtobuf

extension HTTPRouter {
  /// Adds etcd 3.4.23's gateway routes under `/v3/` and `/v3beta/`. Unknown paths there answer grpc-gateway's 404
  /// `Not Found`; a known path with another method than POST answers 405 `Method Not Allowed`.
  /// - Parameters:
  ///   - server: The member the requests go to.
  ///   - maxReceiveMessageBytes: The gRPC receive limit (`--max-request-bytes` + 512 KiB): a request whose protobuf
  ///     form is larger is refused as etcd's gRPC server refuses it (429, ResourceExhausted).
  ///   - forwarder: How a follower reaches the leader for MemberPromote (etcd's gateway calls the member's own gRPC
  ///     server, which forwards it).
  public mutating func addJSONGateway(
    server: EtcdServer,
    maxReceiveMessageBytes: Int = ClientListenerConfiguration.maxReceiveMessageBytes(
      maxRequestBytes: ClientListenerConfiguration.defaultMaxRequestBytes),
    forwarder: LeaderForwarder = LeaderForwarder()
  ) {
    let gateway = JSONGateway(server: server, maxReceiveMessageBytes: maxReceiveMessageBytes, forwarder: forwarder)
    let otherMethods = ["GET", "HEAD", "PUT", "DELETE", "PATCH"]
    for (path, handler) in gateway.routes() {
      for root in JSONGateway.roots {
        add(["POST"], exact: root + path, handler)
        add(otherMethods, exact: root + path) { _ in JSONGateway.methodNotAllowed }
      }
    }
    for root in JSONGateway.roots {
      add(["POST"] + otherMethods, prefix: root + "/") { _ in JSONGateway.notFound }
    }
  }
}

/// The gateway's handlers over one member.
struct JSONGateway: Sendable {
  static let roots = ["/v3", "/v3beta"]

  /// grpc-gateway's answer for an unknown path under its prefix (Go's `http.Error` with the status text).
  static let notFound = HTTPResponse.plainError("Not Found", status: .notFound)
  /// grpc-gateway's answer for a known path with another method (no `Allow` header).
  static let methodNotAllowed = HTTPResponse.plainError("Method Not Allowed", status: .methodNotAllowed)

  let server: EtcdServer
  let maxReceiveMessageBytes: Int
  let forwarder: LeaderForwarder

  /// The routes of etcd 3.4.23's rpc.pb.gw.go, v3election.pb.gw.go and v3lock.pb.gw.go, relative to /v3.
  /// (/v3/maintenance/hashkv is not among them: 3.4's gateway maps HashKV onto /v3/maintenance/hash, where Hash
  /// answers, so HashKV is unreachable and its own path is a 404, as with the real etcd.)
  func routes() -> [(String, HTTPHandler)] {
    var table: [(String, HTTPHandler)] = [
      ("/kv/range", unary { try await $0.range($1, caller: $2) }),
      ("/kv/put", unary { try await $0.put($1, caller: $2) }),
      ("/kv/deleterange", unary { try await $0.deleteRange($1, caller: $2) }),
      ("/kv/txn", unary { try await $0.txn($1, caller: $2) }),
      ("/kv/compaction", unary { try await $0.compact($1, caller: $2) }),
      ("/watch", watch()),
      ("/lease/grant", unary { try await $0.leaseGrant($1, caller: $2) }),
      ("/lease/keepalive", leaseKeepAlive()),
      ("/cluster/member/list", unary { (member, _: Etcdserverpb_MemberListRequest, _) in member.memberList() }),
      ("/cluster/member/add", unary { try await $0.memberAdd($1, caller: $2) }),
      ("/cluster/member/remove", unary { try await $0.memberRemove($1, caller: $2) }),
      ("/cluster/member/update", unary { try await $0.memberUpdate($1, caller: $2) }),
      ("/cluster/member/promote", unary { [forwarder] member, request, caller in
        try await Self.promote(member, request, caller: caller, forwarder: forwarder)
      }),
      ("/maintenance/alarm", unary { try await $0.alarm($1, caller: $2) }),
      ("/maintenance/status", unary { (member, _: Etcdserverpb_StatusRequest, caller) in try member.status(caller: caller) }),
      ("/maintenance/defragment", unary { (member, _: Etcdserverpb_DefragmentRequest, caller) in
        try member.defragment(caller: caller)
      }),
      ("/maintenance/hash", unary { (member, _: Etcdserverpb_HashRequest, caller) in try member.hash(caller: caller) }),
      ("/maintenance/snapshot", snapshot()),
      ("/maintenance/transfer-leadership", unary { try await $0.moveLeader($1, caller: $2) }),
      ("/election/campaign", unary { try await $0.campaign($1, caller: $2) }),
      ("/election/proclaim", unary { try await $0.proclaim($1, caller: $2) }),
      ("/election/leader", unary { try await $0.leader($1, caller: $2) }),
      ("/election/observe", observe()),
      ("/election/resign", unary { try await $0.resign($1, caller: $2) }),
      ("/lock/lock", unary { try await $0.lock($1, caller: $2) }),
      ("/lock/unlock", unary { try await $0.unlock($1, caller: $2) }),
    ]
    let revoke = unary { try await $0.leaseRevoke($1, caller: $2) }
    let timeToLive = unary { try $0.leaseTimeToLive($1, caller: $2) }
    let leases = unary { (member, _: Etcdserverpb_LeaseLeasesRequest, caller) in member.leaseLeases(caller: caller) }
    for root in ["/lease", "/kv/lease"] {
      table += [(root + "/revoke", revoke), (root + "/timetolive", timeToLive), (root + "/leases", leases)]
    }
    table += authRoutes()
    return table
  }

  /// The Auth service's routes.
  private func authRoutes() -> [(String, HTTPHandler)] {
    [
      ("/auth/enable", unary { try await $0.authEnable($1, caller: $2) }),
      ("/auth/disable", unary { try await $0.authDisable($1, caller: $2) }),
      ("/auth/authenticate", unary { try await $0.authenticate($1, caller: $2) }),
      ("/auth/user/add", unary { try await $0.userAdd($1, caller: $2) }),
      ("/auth/user/get", unary { try await $0.userGet($1, caller: $2) }),
      ("/auth/user/list", unary { try await $0.userList($1, caller: $2) }),
      ("/auth/user/delete", unary { try await $0.userDelete($1, caller: $2) }),
      ("/auth/user/changepw", unary { try await $0.userChangePassword($1, caller: $2) }),
      ("/auth/user/grant", unary { try await $0.userGrantRole($1, caller: $2) }),
      ("/auth/user/revoke", unary { try await $0.userRevokeRole($1, caller: $2) }),
      ("/auth/role/add", unary { try await $0.roleAdd($1, caller: $2) }),
      ("/auth/role/get", unary { try await $0.roleGet($1, caller: $2) }),
      ("/auth/role/list", unary { try await $0.roleList($1, caller: $2) }),
      ("/auth/role/delete", unary { try await $0.roleDelete($1, caller: $2) }),
      ("/auth/role/grant", unary { try await $0.roleGrantPermission($1, caller: $2) }),
      ("/auth/role/revoke", unary { try await $0.roleRevokePermission($1, caller: $2) }),
    ]
  }

  // MARK: Unary calls

  /// A unary route: decode the body as `Request`, call the member with the request's caller, encode its answer or
  /// its refusal.
  func unary<Request: SwiftProtobuf.Message, Answer: SwiftProtobuf.Message>(
    _ call: @escaping @Sendable (EtcdServer, Request, Caller) async throws -> Answer
  ) -> HTTPHandler {
    let server = self.server
    let limit = maxReceiveMessageBytes
    return { request in
      let message: Request
      switch GatewayCoding.decode(Request.self, from: request.body) {
      case .refused(let status): return GatewayCoding.refusal(status)
      case .message(let decoded): message = decoded
      }
      if let oversize = Self.oversize(message, bodyBytes: request.body.count, limit: limit) {
        return GatewayCoding.failure(oversize)
      }
      do {
        return GatewayCoding.response(try await call(server, message, Caller(gatewayRequest: request)))
      } catch let error as ServerError {
        return GatewayCoding.failure(GatewayStatus(error))
      } catch let error as RPCError {
        return GatewayCoding.failure(GatewayStatus(code: error.code.rawValue, message: error.message))
      } catch {
        return GatewayCoding.failure(GatewayStatus(code: GatewayStatus.unknown, message: "\(error)"))
      }
    }
  }

  /// MemberPromote through `LeaderForwarder`, as the gRPC service answers it, with the caller's token.
  static func promote(
    _ server: EtcdServer, _ request: Etcdserverpb_MemberPromoteRequest, caller: Caller, forwarder: LeaderForwarder
  ) async throws -> Etcdserverpb_MemberPromoteResponse {
    var metadata = Metadata()
    if let token = caller.token { metadata.addString(token, forKey: "token") }
    return try await forwarder.memberPromote(request, on: server, caller: caller, metadata: metadata)
  }

  /// etcd's gRPC server refuses a message over its receive limit. A protobuf is never larger than the JSON it came
  /// from (base64 and field names take more room than bytes and tags), so only large bodies are measured.
  static func oversize(_ message: some SwiftProtobuf.Message, bodyBytes: Int, limit: Int) -> GatewayStatus? {
    guard bodyBytes > limit, let bytes: [UInt8] = try? message.serializedBytes(), bytes.count > limit else {
      return nil
    }
    return GatewayStatus(
      code: GatewayStatus.resourceExhausted,
      message: "grpc: received message larger than max (\(bytes.count) vs. \(limit))")
  }
}

extension Caller {
  /// The caller of a gateway request: the `Authorization` header's token, marked as proxied by the gateway (etcd
  /// never takes a TLS common name as the user of those).
  init(gatewayRequest request: HTTPRequest) {
    let token = request.headers.first(name: "Authorization")
    self.init(token: token.flatMap { $0.isEmpty ? nil : $0 }, viaGateway: true)
  }
}
