import EtcdClient
import Foundation
import Testing
import TestSupport

/// One connection survives a fast loop of far more calls than HTTP/2's 200-control-frames-per-30-s guard allows on
/// a single channel (etcd answers every request with a PING).
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup"))
struct ConnectionRotationTests {
  @Test func sixHundredFastCallsOnOneConnectionAllSucceed() async throws {
    let etcd = try await RealEtcd.start(name: "busy")
    let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: etcd.clientURL))
    var lastRevision: Int64 = 0
    for index in 0..<600 { lastRevision = try await connection.put("/busy/\(index)", "v") }
    let count = try await connection.get("/busy/", prefix: true).count
    await connection.close()
    await etcd.stopped()
    #expect(lastRevision == 601)
    #expect(count == 600)
  }
}
