import Foundation
import MVCC
import Testing

/// Reads run while a write transaction is in progress and see the store as of the revision before it, also across
/// the backend's batch commits.
@Suite struct StoreConcurrentReadTests {
  /// A lease binder that, when the store attaches the first key of a transaction, runs `duringWrite` on another
  /// thread and waits for it: the write transaction is half done (one of its puts applied) while the read runs.
  final class ReadingBinder: LeaseBinder, @unchecked Sendable {
    let duringWrite: @Sendable () -> Void
    private(set) var completed = false
    private var ran = false

    init(duringWrite: @escaping @Sendable () -> Void) { self.duringWrite = duringWrite }

    func leaseExists(_ id: Int64) -> Bool { true }
    func detach(key: [UInt8]) {}

    func attach(key: [UInt8], to id: Int64) {
      guard !ran else { return }
      ran = true
      let done = DispatchSemaphore(value: 0)
      Thread.detachNewThread {
        self.duringWrite()
        done.signal()
      }
      // A reader that waits for the writer would never finish: 30 s is a deadlock detector, not a speed check.
      completed = done.wait(timeout: .now() + 30) == .success
    }
  }

  @Test func aRangeDuringAWriteTransactionCompletesAndSeesTheRevisionBeforeIt() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open()
    try store.put("a", "old-a")
    try store.put("b", "old-b")  // revision 3
    let seen = LockedBox<RangeResponse?>(nil)
    let binder = ReadingBinder { seen.set(try? store.get("a", end: "c")) }
    store.leaseBinder = binder
    let response = try store.txn(TxnRequest(success: [
      .put(PutRequest(key: b("a"), value: b("new-a"), lease: 7)),
      .put(PutRequest(key: b("b"), value: b("new-b"), lease: 7)),
    ]))
    #expect(response.revision == 4)
    #expect(binder.completed, "the range waited for the write transaction")
    let during = try #require(seen.get())
    #expect(during.revision == 3)
    #expect(during.kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["old-a", "old-b"])
    #expect(try store.get("a", end: "c").kvs.map { String(decoding: $0.value, as: UTF8.self) } == ["new-a", "new-b"])
  }

  /// One writer puts `a` and `b` to the same value in each transaction (batches of 3 writes, so commits land all
  /// the time) while readers range over both keys and read the history: every read sees both keys at one revision
  /// and every history read is gap-free.
  @Test func readersNeverSeeHalfATransactionOrLoseARowAcrossCommits() throws {
    let fixture = StoreFixture()
    defer { fixture.remove() }
    let store = try fixture.open(KVStoreOptions(backend: BackendOptions(batchLimit: 3)))
    let transactions = 1_500
    let failures = LockedBox<[String]>([])
    let readersDone = DispatchGroup()
    for reader in 0..<2 {
      readersDone.enter()
      Thread.detachNewThread {
        defer { readersDone.leave() }
        var reads = 0
        while store.currentRevision < Int64(transactions + 1) || reads < 10 {
          reads += 1
          do {
            let response = try store.get("a", end: "c")
            let values = Set(response.kvs.map { String(decoding: $0.value, as: UTF8.self) })
            if response.kvs.count == 2 && values != ["\(response.revision)"] {
              failures.update { $0.append("reader \(reader): values \(values) at revision \(response.revision)") }
            }
            let through = store.currentRevision
            let events = try store.events(from: 2, through: through, limit: 0)
            let expected = through < 2 ? [] : (2...through).flatMap { [$0, $0] }
            if events.map(\.kv.modRevision) != expected {
              failures.update { $0.append("reader \(reader): history through \(through) has \(events.count) events") }
            }
          } catch {
            failures.update { $0.append("reader \(reader): \(error)") }
          }
        }
      }
    }
    for index in 0..<transactions {
      let value = b("\(index + 2)")  // the revision this transaction makes
      try store.txn(TxnRequest(success: [.put(PutRequest(key: b("a"), value: value)), .put(PutRequest(key: b("b"), value: value))]))
    }
    readersDone.wait()
    #expect(failures.get() == [])
    #expect(store.currentRevision == Int64(transactions + 1))
  }
}

/// A value shared between threads.
final class LockedBox<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func get() -> Value { lock.withLock { value } }
  func set(_ newValue: Value) { lock.withLock { value = newValue } }
  func update(_ body: (inout Value) -> Void) { lock.withLock { body(&value) } }
}
