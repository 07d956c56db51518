import EtcdAPI
import EtcdProto
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing

@Suite struct PeerIdentityTests {
  @Test func clientCannotForgeTheCommonNameMetadata() async throws {
    try await withListener(router: builtinRouter()) { bound in
      let status = try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: bound.port), transportSecurity: .plaintext)
      ) { client in
        try await Etcdserverpb_Maintenance.Client(wrapping: client).status(
          Etcdserverpb_StatusRequest(), metadata: [PeerIdentity.commonNameMetadataKey: "root"])
      }
      #expect(status.version == "plain")
    }
  }

  @Test func http2RequestsWithoutGRPCReachTheGRPCSideOnly() async throws {
    // curl --http2-prior-knowledge speaks HTTP/2 from the first byte, so the connection goes to gRPC, which
    // refuses a non-gRPC content type (415). etcd 3.4.23 fails such a request too (curl: HTTP/2 stream error).
    try await withListener(router: builtinRouter()) { bound in
      let output = try await curl(["-i", "--http2-prior-knowledge", "http://127.0.0.1:\(bound.port)/version"])
      #expect(output.stdout.hasPrefix("HTTP/2 415"))
    }
  }
}
