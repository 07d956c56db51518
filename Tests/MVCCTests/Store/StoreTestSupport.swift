import Foundation
import MVCC

/// UTF-8 bytes of a string (keys and values in tests).
func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Strings of keys of a result.
func keys(_ kvs: [KeyValue]) -> [String] { kvs.map { String(decoding: $0.key, as: UTF8.self) } }

/// A store in a fresh temporary directory.
struct StoreFixture {
  let dir = TemporaryDirectory("kv")
  var path: String { dir.file("db") }

  func open(_ options: KVStoreOptions = KVStoreOptions()) throws -> KVStore { try KVStore(path: path, options: options) }

  func remove() { dir.remove() }
}

extension KVStore {
  @discardableResult
  func put(_ key: String, _ value: String, lease: Int64 = 0) throws -> PutResponse {
    try put(PutRequest(key: b(key), value: b(value), lease: lease))
  }

  func get(_ key: String, end: String? = nil, revision: Int64 = 0) throws -> RangeResponse {
    try range(RangeRequest(key: b(key), rangeEnd: end.map(b) ?? [], revision: revision))
  }
}

/// Records what a store reports after each write.
final class RecordingObserver: WriteObserver, @unchecked Sendable {
  private let lock = NSLock()
  private var received: [(Int64, [Event])] = []

  func didCommit(revision: Int64, events: [Event]) { lock.withLock { received.append((revision, events)) } }

  var commits: [(revision: Int64, events: [Event])] { lock.withLock { received.map { ($0.0, $0.1) } } }
}
