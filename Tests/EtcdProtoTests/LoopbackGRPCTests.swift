import EtcdProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

/// A grpc-swift-2 server and client built from the generated code talk over loopback.
@Suite struct LoopbackGRPCTests {
  @Test func unaryStatusRoundTripsOverLoopback() async throws {
    let status = try await withLoopbackServer(services: [FakeMaintenanceService()]) { port in
      try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
      ) { client in
        try await Etcdserverpb_Maintenance.Client(wrapping: client).status(Etcdserverpb_StatusRequest())
      }
    }
    #expect(status == FakeMaintenanceService.status)
  }

  @Test func serverStreamingSnapshotDeliversEveryChunkInOrder() async throws {
    let chunks = try await withLoopbackServer(services: [FakeMaintenanceService()]) { port in
      try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
      ) { client in
        try await Etcdserverpb_Maintenance.Client(wrapping: client).snapshot(Etcdserverpb_SnapshotRequest()) { response in
          var received: [Etcdserverpb_SnapshotResponse] = []
          for try await message in response.messages { received.append(message) }
          return received
        }
      }
    }
    #expect(chunks.map(\.blob) == FakeMaintenanceService.snapshotChunks)
    #expect(chunks.last?.remainingBytes == 0)
    #expect(chunks.first?.remainingBytes == UInt64(32 * 1024 + 3))
  }

  @Test func methodPathsAreEtcds() {
    #expect(Etcdserverpb_KV.Method.Range.descriptor.fullyQualifiedMethod == "etcdserverpb.KV/Range")
    #expect(Etcdserverpb_Maintenance.Method.Status.descriptor.fullyQualifiedMethod == "etcdserverpb.Maintenance/Status")
    #expect(V3lockpb_Lock.Method.Lock.descriptor.fullyQualifiedMethod == "v3lockpb.Lock/Lock")
    #expect(V3electionpb_Election.Method.Observe.descriptor.fullyQualifiedMethod == "v3electionpb.Election/Observe")
    #expect(Grpc_Health_V1_Health.Method.Check.descriptor.fullyQualifiedMethod == "grpc.health.v1.Health/Check")
  }

  @Test func unimplementedMethodIsReportedAsUnimplemented() async throws {
    let code: RPCError.Code? = try await withLoopbackServer(services: [FakeMaintenanceService()]) { port in
      try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
      ) { client in
        do {
          _ = try await Etcdserverpb_Maintenance.Client(wrapping: client).alarm(Etcdserverpb_AlarmRequest())
          return nil
        } catch let error as RPCError {
          return error.code
        }
      }
    }
    #expect(code == .unimplemented)
  }
}
