import Foundation
import GRPCCore
@testable import PeerTransport
import Raft
import TestSupport
import Testing

@Suite struct SnapshotTests {
  static func snapshotMessage(index: UInt64) -> Message {
    Message(type: .snapshot, to: 0xb, from: 0xa, term: 3,
            snapshot: Snapshot(metadata: SnapshotMetadata(index: index, term: 3, confState: ConfState(voters: [0xa, 0xb])),
                               data: [1, 2, 3]))
  }

  static func files(in directory: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
  }

  @Test func fiveMegabyteSnapshotArrivesIntact() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb, directory: directory)
    var generator = SystemRandomNumberGenerator()
    let data = (0..<(5 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    a.recorder.snapshotData.withLock { $0 = data }
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    a.transport.send([Self.snapshotMessage(index: 42)])
    let done = await eventually(within: 30) { !a.recorder.seen.withLock { $0.snapshotResults }.isEmpty }
    await stopAll([a, b])
    #expect(done)
    #expect(a.recorder.seen.withLock { $0.snapshotResults.map { "\($0.0):\($0.1)" } } == ["11:false"])
    let received = b.recorder.seen.withLock { $0.snapshots }
    try #require(received.count == 1)
    #expect(received[0].0 == Self.snapshotMessage(index: 42))
    #expect(received[0].1.hasPrefix(directory))
    #expect(FileManager.default.contents(atPath: received[0].1).map { [UInt8]($0) } == data)
    #expect(Self.files(in: directory).count == 1)
  }

  @Test func abortedSnapshotReportsFailureAndLeavesNoFile() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb, directory: directory)
    a.recorder.snapshotData.withLock { $0 = [UInt8](repeating: 9, count: 3 << 20) }
    a.recorder.failSnapshotAfter.withLock { $0 = 4 }
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    a.transport.send([Self.snapshotMessage(index: 7)])
    let reported = await eventually(within: 20) { !a.recorder.seen.withLock { $0.snapshotResults }.isEmpty }
    let cleaned = await eventually(within: 10) { Self.files(in: directory).isEmpty }
    await stopAll([a, b])
    #expect(reported)
    #expect(a.recorder.seen.withLock { $0.snapshotResults.map(\.1) } == [true])
    #expect(cleaned)
    #expect(b.recorder.seen.withLock { $0.snapshots }.isEmpty)
  }

  @Test func corruptedSnapshotIsRefusedAndLeavesNoFile() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let b = try makeMember(id: 0xb, directory: directory)
    try await b.transport.start()
    let client = try PeerLink.makeClient(url: try PeerURL(parsing: b.url), tls: nil)
    let data = [UInt8](repeating: 5, count: 100_000)
    var trailer = WireWriter(capacity: 17)
    trailer.byte(PeerWire.snapshotTrailer)
    trailer.fixed64(UInt64(data.count))
    trailer.fixed64(12345)  // not the CRC-32C of data
    let frames = [[PeerWire.snapshotHeader] + MessageCodec.encode([Self.snapshotMessage(index: 9)]),
                  [PeerWire.snapshotChunk] + data, trailer.bytes]
    let result: Result<[UInt8], any Error> = await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await client.runConnections() }
      defer { client.beginGracefulShutdown() }
      let request = StreamingClientRequest<[UInt8]>(metadata: PeerWire.identity(sender: 0xa, target: 0xb, cluster: 0xc1)) {
        for frame in frames { try await $0.write(frame) }
      }
      do {
        return .success(try await client.clientStreaming(
          request: request, descriptor: PeerWire.snapshot, serializer: RawBytesCoder(), deserializer: RawBytesCoder(),
          options: .defaults) { try $0.message })
      } catch {
        return .failure(error)
      }
    }
    await b.transport.stop()
    let error = try #require(result.failureValue as? RPCError)
    #expect(error.code == .dataLoss)
    #expect(error.message.contains("CRC-32C mismatch"))
    #expect(Self.files(in: directory).isEmpty)
    #expect(b.recorder.seen.withLock { $0.snapshots }.isEmpty)
    #expect(b.logs.first("failed to receive database snapshot") != nil)
  }
}

extension Result {
  var failureValue: Failure? {
    if case .failure(let error) = self { return error }
    return nil
  }
}
