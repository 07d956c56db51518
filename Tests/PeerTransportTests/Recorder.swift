// Test helpers: a recording delegate, captured logs, an in-memory snapshot source and a transport factory.
import Foundation
import PeerTransport
import Raft
import Synchronization
import TestSupport

/// Records everything the transport tells its member.
final class Recorder: PeerTransportDelegate {
  struct Seen: Sendable {
    var batches: [[Message]] = []
    var snapshots: [(Message, String)] = []
    var unreachable: [UInt64] = []
    var snapshotResults: [(UInt64, Bool)] = []
    var removedBy: [UInt64] = []
  }
  let seen = Mutex(Seen())
  let removed = Mutex<Set<UInt64>>([])
  let snapshotData = Mutex<[UInt8]>([])
  let failSnapshotAfter = Mutex<Int?>(nil)

  var messages: [Message] { seen.withLock { $0.batches.flatMap { $0 } } }

  func receive(_ messages: [Message]) { seen.withLock { $0.batches.append(messages) } }
  func receive(snapshot message: Message, dataFile: String) { seen.withLock { $0.snapshots.append((message, dataFile)) } }
  func openSnapshotData(for message: Message) throws -> any PeerSnapshotSource {
    MemorySource(data: snapshotData.withLock { $0 }, failAfter: failSnapshotAfter.withLock { $0 })
  }
  func isRemoved(_ id: UInt64) -> Bool { removed.withLock { $0.contains(id) } }
  func unreachable(_ id: UInt64) { seen.withLock { $0.unreachable.append(id) } }
  func snapshotSent(to id: UInt64, failed: Bool) { seen.withLock { $0.snapshotResults.append((id, failed)) } }
  func removedFromCluster(by peer: UInt64) { seen.withLock { $0.removedBy.append(peer) } }
  func membership() -> [UInt8] { Array("members-of-cluster".utf8) }
}

/// Snapshot data served in 256 KiB chunks; throws after `failAfter` chunks when set.
final class MemorySource: PeerSnapshotSource {
  let data: [UInt8]
  let failAfter: Int?
  var offset = 0
  var chunks = 0
  init(data: [UInt8], failAfter: Int?) {
    self.data = data
    self.failAfter = failAfter
  }
  var totalBytes: Int64 { Int64(data.count) }
  func nextChunk() throws -> [UInt8]? {
    if let failAfter, chunks >= failAfter { throw CocoaError(.fileReadUnknown) }
    guard offset < data.count else { return nil }
    let end = min(offset + 256 * 1024, data.count)
    defer {
      offset = end
      chunks += 1
    }
    return Array(data[offset..<end])
  }
}

/// Log lines captured from a transport.
final class LogCapture: Sendable {
  struct Line: Sendable {
    var level: PeerLogLevel
    var message: String
    var fields: [String: String]
  }
  let lines = Mutex<[Line]>([])
  var sink: @Sendable (PeerLogLevel, String, [String: String]) -> Void {
    { level, message, fields in self.lines.withLock { $0.append(Line(level: level, message: message, fields: fields)) } }
  }
  func first(_ message: String) -> Line? { lines.withLock { $0.first { $0.message == message } } }
}

/// A member under test: its transport, delegate, logs and URL.
struct Member {
  let id: UInt64
  let transport: PeerTransport
  let recorder: Recorder
  let logs: LogCapture
  let url: String
}

func makeMember(
  id: UInt64, cluster: UInt64 = 0xc1, port: Int = freeTCPPort(), scheme: String = "http", tls: PeerTLSSettings? = nil,
  directory: String = NSTemporaryDirectory(), probe: Duration = .seconds(4),
  clock: @escaping @Sendable () -> Int64 = PeerTransportOptions.systemWallClock
) throws -> Member {
  let recorder = Recorder()
  let logs = LogCapture()
  let url = "\(scheme)://127.0.0.1:\(port)"
  let options = PeerTransportOptions(
    memberID: id, clusterID: cluster, listenURLs: [url], tls: tls, snapshotDirectory: directory,
    probeInterval: probe, wallClock: clock, log: logs.sink)
  return Member(id: id, transport: try PeerTransport(options: options, delegate: recorder), recorder: recorder,
                logs: logs, url: url)
}

/// Connects every member to every other.
func mesh(_ members: [Member]) {
  for member in members {
    for other in members where other.id != member.id { member.transport.setPeer(other.id, urls: [other.url]) }
  }
}

func stopAll(_ members: [Member]) async {
  for member in members { await member.transport.stop() }
}

func heartbeat(from: UInt64, to: UInt64, commit: UInt64) -> Message {
  Message(type: .heartbeat, to: to, from: from, term: 1, commit: commit)
}

func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "peer-test-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
