import EtcdClient
import EtcdProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
import TestSupport

/// A snapshot stream that breaks part-way leaves neither a partial file nor an open handle behind.
@Suite struct SnapshotStreamFailureTests {
  @Test func streamThatFailsPartWayLeavesNoPartFileAndNoOpenHandle() async throws {
    let dir = makeTemporaryDirectory("snapbreak")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let received = ReceivedBytes()
    let failure = "test: the member went away mid-stream"
    let error: EtcdClientError? = try await withLoopbackServer(services: [FakeMaintenanceService(snapshotFailure: failure)]) { port in
      let connection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: "127.0.0.1:\(port)"))
      let outcome: EtcdClientError?
      do {
        _ = try await connection.saveSnapshot(to: "\(dir)/s.db") { bytes in received.set(bytes) }
        outcome = nil
      } catch {
        outcome = error as? EtcdClientError
      }
      await connection.close()
      return outcome
    }
    // The chunks before the failure arrived and were written: the failure came part-way.
    #expect(received.value == FakeMaintenanceService.snapshotChunks.prefix(FakeMaintenanceService.failAfterChunks).reduce(0) { $0 + $1.count })
    #expect(error?.serverMessage == failure, "\(String(describing: error))")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    #expect(openFiles(under: dir).isEmpty, "descriptors still open on \(openFiles(under: dir))")
  }

  /// Paths under `dir` this process holds open (from /proc/self/fd; a deleted file shows as "path (deleted)").
  func openFiles(under dir: String) -> [String] {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
      .filter { $0.hasPrefix(dir + "/") }
  }
}

/// The largest byte count the progress callback reported.
private final class ReceivedBytes: @unchecked Sendable {
  private let lock = NSLock()
  private var bytes = 0
  func set(_ value: Int) { lock.withLock { bytes = max(bytes, value) } }
  var value: Int { lock.withLock { bytes } }
}

