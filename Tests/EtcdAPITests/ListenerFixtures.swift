import EtcdAPI
import EtcdProto
import Foundation
import GRPCCore
import PKI
import TestSupport

/// A Maintenance service whose Status reports the caller's verified certificate common name (from the metadata the
/// listener sets) as its `version`, or `plain` without one. Other methods answer UNIMPLEMENTED.
struct CommonNameMaintenance: Etcdserverpb_Maintenance.SimpleServiceProtocol {
  static let memberID: UInt64 = 0x8e9e05c52164694d

  func status(
    request: ServerRequest<Etcdserverpb_StatusRequest>, context: ServerContext
  ) async throws -> ServerResponse<Etcdserverpb_StatusResponse> {
    var status = Etcdserverpb_StatusResponse()
    status.header.memberID = Self.memberID
    status.header.clusterID = 0xcdf8_1819_4e3a_8c32
    status.header.revision = 42
    status.leader = Self.memberID
    status.raftIndex = 17
    status.raftTerm = 3
    status.dbSize = 20480
    status.version = PeerIdentity.commonName(in: request.metadata) ?? "plain"
    return ServerResponse(message: status)
  }

  func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
    throw RPCError(code: .internalError, message: "the metadata-reading overload answers Status")
  }

  private func unimplemented<T>(_ name: String) throws -> T {
    throw RPCError(code: .unimplemented, message: "\(name) is not part of this fixture")
  }

  func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
    try unimplemented("Alarm")
  }
  func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws -> Etcdserverpb_DefragmentResponse {
    try unimplemented("Defragment")
  }
  func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
    try unimplemented("Hash")
  }
  func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
    try unimplemented("HashKV")
  }
  func snapshot(
    request: Etcdserverpb_SnapshotRequest, response: RPCWriter<Etcdserverpb_SnapshotResponse>, context: ServerContext
  ) async throws {
    try unimplemented("Snapshot") as Void
  }
  func moveLeader(request: Etcdserverpb_MoveLeaderRequest, context: ServerContext) async throws -> Etcdserverpb_MoveLeaderResponse {
    try unimplemented("MoveLeader")
  }
}

/// CA, server certificate (for 127.0.0.1) and a client certificate with CN `alice`, in a temp dir.
struct TestCertificates {
  let directory: String
  var caFile: String { "\(directory)/ca.crt" }
  var serverCert: String { "\(directory)/server.crt" }
  var serverKey: String { "\(directory)/server.key" }
  var clientCert: String { "\(directory)/alice.crt" }
  var clientKey: String { "\(directory)/alice.key" }

  init() throws {
    directory = makeTemporaryDirectory("etcdapi-certs")
    let ca = try CertificateAuthority.generate(cluster: "listener-test")
    let server = try ca.issue(CertificateRequest(profile: .server, commonName: "node1", dnsNames: ["localhost"],
                                                 ipAddresses: ["127.0.0.1"]))
    let client = try ca.issue(CertificateRequest(profile: .client, commonName: "alice"))
    try ca.certificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
    try server.certificatePEM.write(toFile: serverCert, atomically: true, encoding: .utf8)
    try server.privateKeyPEM.write(toFile: serverKey, atomically: true, encoding: .utf8)
    try client.certificatePEM.write(toFile: clientCert, atomically: true, encoding: .utf8)
    try client.privateKeyPEM.write(toFile: clientKey, atomically: true, encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Runs `body` with a started listener on 127.0.0.1 port 0 and stops it afterwards.
func withListener<T: Sendable>(
  scheme: ListenURL.Scheme = .http,
  tls: ListenerTLS? = nil,
  services: [any RegistrableRPCService] = [CommonNameMaintenance()],
  metrics: EtcdMetrics? = nil,
  configure: (inout ClientListenerConfiguration) -> Void = { _ in },
  router: HTTPRouter,
  _ body: (ListenURL) async throws -> T
) async throws -> T {
  var configuration = ClientListenerConfiguration(url: ListenURL(scheme: scheme, host: "127.0.0.1", port: 0), tls: tls)
  configure(&configuration)
  let listener = ClientListener(configuration: configuration, services: services, http: router.respond(to:),
                                metrics: metrics)
  let bound = try await listener.start()
  do {
    let result = try await body(bound)
    await listener.stop(gracePeriod: .seconds(5))
    return result
  } catch {
    await listener.stop(gracePeriod: .seconds(5))
    throw error
  }
}

/// A router with the built-in routes and a healthy member.
func builtinRouter(metrics: MetricsRegistry? = nil, healthy: Bool = true) -> HTTPRouter {
  var router = HTTPRouter()
  router.addBuiltinRoutes(healthy: { healthy }, metrics: metrics)
  return router
}

/// Runs curl on its own thread and returns its output; `-i` output includes the status line and headers.
func curl(_ arguments: [String]) async throws -> ProcessOutput {
  try await offPool {
    try ChildProcess.run("/usr/bin/curl", ["-s", "--max-time", "10"] + arguments,
                         environment: ["PATH": "/usr/bin:/bin"], timeout: 20)
  }
}

/// Runs etcdctl 3.4 on its own thread.
func etcdctl(_ arguments: [String]) async throws -> ProcessOutput {
  try await offPool {
    try ChildProcess.run(ChildProcess.which("etcdctl") ?? "/usr/bin/etcdctl", arguments,
                         environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"], timeout: 30)
  }
}
