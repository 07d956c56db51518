// The MVCC key-value store: etcd's mvcc store and its applier semantics over the in-memory key index and the SQLite
// backend. Reads run concurrently with each other and with the writer; compaction and defragmentation exclude both.

import Synchronization

/// Settings of a KV store (etcd's flags of the same meaning).
public struct KVStoreOptions: Sendable {
  /// Backend batching (`--backend-batch-interval`, `--backend-batch-limit`).
  public var backend: BackendOptions
  /// `--max-txn-ops` (default 128).
  public var maxTxnOps: Int
  /// `--quota-backend-bytes`: 0 means the default 2 GiB; a negative value turns the quota off.
  public var quotaBackendBytes: Int64
  /// This member's ID, recorded with the alarms it raises.
  public var memberID: UInt64
  /// Rows deleted per transaction by a compaction (etcd: 1000), so writes interleave.
  public var compactionBatchLimit: Int

  /// etcd's default quota: 2 GiB.
  public static let defaultQuotaBytes: Int64 = 2 * 1024 * 1024 * 1024

  /// Creates options; the defaults are etcd's.
  public init(
    backend: BackendOptions = BackendOptions(), maxTxnOps: Int = 128, quotaBackendBytes: Int64 = 0,
    memberID: UInt64 = 0, compactionBatchLimit: Int = 1000
  ) {
    self.backend = backend
    self.maxTxnOps = maxTxnOps
    self.quotaBackendBytes = quotaBackendBytes
    self.memberID = memberID
    self.compactionBatchLimit = max(1, compactionBatchLimit)
  }

  /// The quota in force, nil when off.
  public var effectiveQuotaBytes: Int64? {
    quotaBackendBytes < 0 ? nil : (quotaBackendBytes == 0 ? Self.defaultQuotaBytes : quotaBackendBytes)
  }
}

/// The MVCC key-value store (etcd's `mvcc.store` plus the KV part of its applier).
///
/// Write methods (`put`, `deleteRange`, `txn`, `compact`...) are meant to be called by one applier thread; each
/// takes an optional `applied` Raft position written in the same backend transaction as its changes. Read methods
/// may be called from any thread at any time.
public final class KVStore: WatchEventSource, @unchecked Sendable {
  /// The backend database. `restore(fromDatabaseFile:minimumConsistentIndex:)` replaces it: read it on the
  /// applier's thread (the one that restores), or inside the store's locks.
  public private(set) var backend: Backend
  /// The settings.
  public let options: KVStoreOptions
  let index = KeyIndexTree()
  /// Readers hold it shared for a whole read (so compaction cannot remove rows under them); compaction, defragment
  /// and alarm changes hold it exclusively (see `exclusively`). Writers do not take it.
  let lock = ReadersWriterLock()
  /// Held shared while a snapshot copies the database file through its own connection, exclusively while a restore
  /// replaces the file (taken before the other locks).
  let fileLock = ReadersWriterLock()
  /// One writer at a time (see `writing`): write transactions, batch commits, lease/auth/membership rows.
  private let writerLock = ReadersWriterLock()
  private let current = Atomic<Int64>(1)
  private let compacted = Atomic<Int64>(0)
  private let observerBox = Mutex<WriteObserver?>(nil)
  /// Held weakly: the binder (`Leases`) holds the store, and the store must not keep it alive in turn.
  private let leaseBinderBox = Mutex<WeakLeaseBinder>(WeakLeaseBinder())
  /// Raised alarms (guarded by `writerLock`).
  var alarmSet: Set<AlarmMember> = []
  /// The compaction whose physical deletion is due (guarded by `writerLock`).
  var pendingCompaction: (revision: Int64, keep: Set<Revision>)?
  /// The lease of every live key on one, as the open scan found them at `revision`; for the first lease binder
  /// (guarded by `writerLock`).
  var leasesAtOpen: (revision: Int64, attachments: [[UInt8]: LeaseID])?

  /// Opens the store in the database at `path`: rebuilds the key index from the stored revisions, recovers the
  /// consistent index, compacted revision and alarms, and finishes a compaction a crash interrupted.
  public init(path: String, options: KVStoreOptions = KVStoreOptions()) throws(MVCCError) {
    self.options = options
    backend = try Backend(path: path, options: options.backend)
    install(try Self.load(from: backend, into: index))
    if pendingCompaction != nil { try finishCompaction() }
  }

  /// What a database holds beyond its rows: the state `init` and `restore` install after `load(from:into:)`.
  struct LoadedState {
    var current: Int64
    var compacted: Int64
    /// The compaction revision whose physical deletion did not finish (a crash interrupted it), if any.
    var unfinishedCompaction: Int64?
    /// The lease of every live key on one (for the lease binder).
    var leased: [[UInt8]: LeaseID]
    var alarms: Set<AlarmMember>
  }

  /// The one loader of a database (at open and at restore): rebuilds `index` (empty) from the stored revisions and
  /// reads the revisions, alarms and leased keys. Reads only.
  static func load(from backend: Backend, into index: KeyIndexTree) throws(MVCCError) -> LoadedState {
    var newest: Int64 = 1
    var leased: [[UInt8]: LeaseID] = [:]
    try backend.forEachRevision { (row) throws(MVCCError) in
      index.restore(
        key: row.kv.key, created: Revision(main: row.kv.createRevision), modified: row.revision,
        version: row.kv.version, tombstone: row.tombstone)
      newest = row.revision.main
      // The newest change of a key says which lease (if any) it is on.
      if row.kv.lease != 0 && !row.tombstone {
        leased[row.kv.key] = row.kv.lease
      } else if !leased.isEmpty {
        leased[row.kv.key] = nil
      }
    }
    let finished = try backend.meta(MetaKey.finishedCompactRevision) ?? 0
    let scheduled = try backend.meta(MetaKey.scheduledCompactRevision) ?? 0
    return LoadedState(
      current: max(newest, finished, scheduled), compacted: max(finished, scheduled),
      unfinishedCompaction: scheduled > finished ? scheduled : nil, leased: leased,
      alarms: try loadAlarms(from: backend))
  }

  /// Makes `state` (loaded into `index`) the store's state; the caller finishes `pendingCompaction` afterwards.
  /// At open, or with readers and writers excluded.
  func install(_ state: LoadedState) {
    compacted.store(state.compacted, ordering: .releasing)
    current.store(state.current, ordering: .releasing)
    leasesAtOpen = (state.current, state.leased)
    alarmSet = state.alarms
    pendingCompaction = state.unfinishedCompaction.map { ($0, index.compact(atRevision: $0)) }
  }

  /// Replaces the backend (restore), with readers and writers excluded.
  func replaceBackend(_ replacement: Backend) { backend = replacement }

  /// The store revision: the main revision of the newest write transaction (1 for an empty store).
  public var currentRevision: Int64 { current.load(ordering: .acquiring) }

  /// The revision of the last compaction (0 when none).
  public var compactedRevision: Int64 { compacted.load(ordering: .acquiring) }

  func setCurrentRevision(_ rev: Int64) { current.store(rev, ordering: .releasing) }
  func setCompactedRevision(_ rev: Int64) { compacted.store(rev, ordering: .releasing) }

  /// Told after every write transaction that changed something.
  public var observer: WriteObserver? {
    get { observerBox.withLock { $0 } }
    set { observerBox.withLock { $0 = newValue } }
  }

  /// The lessor, consulted for Puts with a lease (held weakly; `Leases` sets itself here).
  public var leaseBinder: LeaseBinder? {
    get { leaseBinderBox.withLock { $0.binder } }
    set { leaseBinderBox.withLock { $0.binder = newValue } }
  }

  /// Keys in the index (live or deleted but not compacted) and live keys.
  public var keyCounts: (indexed: Int, live: Int) { (index.keyCount, index.liveKeyCount) }

  // MARK: Locking

  /// Runs `body` as the only writer. Reads go on meanwhile: a reader sees the store at the revision it started
  /// with, because the index answers by revision and the backend's uncommitted rows are read through (`PendingRows`),
  /// also across a commit.
  func writing<T>(_ body: () throws(MVCCError) -> T) throws(MVCCError) -> T {
    try writerLock.writing(body)
  }

  /// Runs `body` with no reader and no writer running (compaction removes rows readers could be loading).
  func exclusively<T>(_ body: () throws(MVCCError) -> T) throws(MVCCError) -> T {
    try writerLock.writing { () throws(MVCCError) -> T in try lock.writing(body) }
  }

  // MARK: Batching

  /// Commits the open backend transaction now.
  public func commit() throws(MVCCError) {
    try writing { () throws(MVCCError) in try backend.commit() }
  }

  /// Commits when the open transaction is older than the batch interval at `now` (the caller's monotonic time).
  @discardableResult
  public func flushIfDue(now: Duration) throws(MVCCError) -> Bool {
    try writing { () throws(MVCCError) -> Bool in try backend.flushIfDue(now: now) }
  }

  /// Records the applied Raft position for an entry that changes no key (it commits with the next batch).
  public func setConsistentIndex(_ applied: ConsistentIndex) throws(MVCCError) {
    try writing { () throws(MVCCError) in try backend.setConsistentIndex(applied) }
  }

  /// The applied Raft position stored with the data (including the open batch).
  public func consistentIndex() throws(MVCCError) -> ConsistentIndex {
    try writing { () throws(MVCCError) -> ConsistentIndex in try backend.consistentIndex() }
  }

  // MARK: Reads

  /// etcd's Range.
  public func range(_ request: RangeRequest) throws(MVCCError) -> RangeResponse {
    try lock.reading { () throws(MVCCError) -> RangeResponse in try rangeLocked(request, viewRevision: currentRevision) }
  }

  /// Range as seen by a transaction whose view is at `viewRevision` (etcd's applier Range over a TxnRead).
  func rangeLocked(_ r: RangeRequest, viewRevision: Int64) throws(MVCCError) -> RangeResponse {
    if r.revision > viewRevision {
      throw MVCCError.futureRevision(requested: r.revision, currentRevision: viewRevision)
    }
    let at = r.revision <= 0 ? viewRevision : r.revision
    if at < compactedRevision { throw MVCCError.compacted(requested: at, compactedRevision: compactedRevision) }
    let keyRange = KeyRange(key: r.key, end: r.rangeEnd)
    if r.countOnly {
      let count = index.countRevisions(keyRange, atRevision: at)
      return RangeResponse(revision: viewRevision, kvs: [], more: false, count: Int64(count))
    }
    let filters = r.minModRevision != 0 || r.maxModRevision != 0 || r.minCreateRevision != 0 || r.maxCreateRevision != 0
    var limit = (r.sortOrder != .none || filters) ? 0 : max(0, r.limit)
    if limit > 0 { limit += 1 }  // one more, to tell whether there is more
    let found = index.range(keyRange, atRevision: at, limit: Int(limit))
    var kvs = try backend.load(found.revisions).map(\.kv)
    if filters {
      kvs.removeAll {
        (r.maxModRevision != 0 && $0.modRevision > r.maxModRevision)
          || (r.minModRevision != 0 && $0.modRevision < r.minModRevision)
          || (r.maxCreateRevision != 0 && $0.createRevision > r.maxCreateRevision)
          || (r.minCreateRevision != 0 && $0.createRevision < r.minCreateRevision)
      }
    }
    Self.sort(&kvs, order: r.sortTarget != .key && r.sortOrder == .none ? .ascend : r.sortOrder, target: r.sortTarget)
    var more = false
    if r.limit > 0, kvs.count > Int(r.limit) {
      kvs.removeLast(kvs.count - Int(r.limit))
      more = true
    }
    if r.keysOnly { for i in kvs.indices { kvs[i].value = [] } }
    return RangeResponse(revision: viewRevision, kvs: kvs, more: more, count: Int64(found.total))
  }

  /// Sorts as etcd's applier (the index returns keys ascending, so ascending by key is a no-op).
  static func sort(_ kvs: inout [KeyValue], order: SortOrder, target: SortTarget) {
    guard order != .none, !(order == .ascend && target == .key) else { return }
    if target == .key {
      kvs.reverse()
      return
    }
    func less(_ a: KeyValue, _ b: KeyValue) -> Bool {
      switch target {
      case .key: return a.key.lexicographicallyPrecedes(b.key)
      case .version: return a.version < b.version
      case .create: return a.createRevision < b.createRevision
      case .mod: return a.modRevision < b.modRevision
      case .value: return a.value.lexicographicallyPrecedes(b.value)
      }
    }
    // Stable, so equal targets stay in key order.
    let sorted = kvs.enumerated().sorted { x, y in
      let (a, b) = order == .ascend ? (x.element, y.element) : (y.element, x.element)
      if less(a, b) { return true }
      if less(b, a) { return false }
      return x.offset < y.offset
    }
    kvs = sorted.map(\.element)
  }

  // MARK: WatchEventSource

  /// Every change with main revision in [from, through], in revision order, at most `limit` (0 = all).
  public func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event] {
    try lock.reading { () throws(MVCCError) -> [Event] in
      if from < compactedRevision { throw MVCCError.compacted(requested: from, compactedRevision: compactedRevision) }
      return try backend.revisions(from: from, through: through, limit: limit).map(\.event)
    }
  }

  /// The key's value at `rev` (nil when absent), for prev_kv.
  public func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue? {
    try lock.reading { () throws(MVCCError) -> KeyValue? in
      if rev > currentRevision { throw MVCCError.futureRevision(requested: rev, currentRevision: currentRevision) }
      if rev < compactedRevision { throw MVCCError.compacted(requested: rev, compactedRevision: compactedRevision) }
      guard let found = index.get(key, atRevision: rev) else { return nil }
      return try backend.load([found.modified]).first?.kv
    }
  }
}
