import Raft
import Testing

@testable import WAL

/// A log state the WAL may legitimately recover to.
struct ModelState: Equatable {
  var entries: [Entry]
  var hardState: HardState
}

/// Entries of `log` (indices 1...) after appending `batch` with Raft's replace-the-suffix rule.
func applying(_ batch: some Collection<Entry>, to log: [Entry]) -> [Entry] {
  var out = log
  for e in batch {
    out.removeSubrange(min(Int(e.index) - 1, out.count)...)
    out.append(e)
  }
  return out
}

/// What a crash workload writes to: a bare WAL or a DiskRaftStorage.
protocol CrashTarget {
  func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws
  /// Records a durable snapshot at `marker` (and compacts/purges what it allows).
  func snapshot(_ marker: SnapshotMarker) throws
}

extension WriteAheadLog: CrashTarget {
  func snapshot(_ marker: SnapshotMarker) throws {
    try saveSnapshotMarker(marker)
    try purge(snapshotIndex: marker.index, maxSegments: 3)
  }
}

/// Drives a WAL with a random Raft-like workload and records what may survive a crash.
struct CrashWorkload {
  var rng: SplitMix64
  var history: [ModelState]
  /// Index in `history` of the newest state known durable.
  var durable: Int
  /// Newest snapshot marker known durable.
  var marker = SnapshotMarker()
  var term: UInt64 = 1

  init(seed: UInt64, start: ModelState) {
    rng = SplitMix64(seed: seed)
    history = [start]
    durable = 0
  }

  var current: ModelState { history[history.count - 1] }

  /// Non-zero payload bytes (a zero sector would look like a write that never landed), cheap to make.
  mutating func randomBytes(_ n: Int) -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: rng.next() | 1), count: n) }

  /// Runs `batches` steps; stops at the first error (the simulated crash) and returns it.
  mutating func run(_ target: some CrashTarget, batches: Int) -> Error? {
    for _ in 0..<batches {
      let state = current
      if rng.next() % 10 == 0, state.hardState.commit > marker.index {
        let m = SnapshotMarker(index: state.hardState.commit, term: state.entries[Int(state.hardState.commit) - 1].term)
        do {
          try target.snapshot(m)
          marker = m
          durable = history.count - 1
        } catch { return error }
        continue
      }
      var from = UInt64(state.entries.count) + 1
      if rng.next() % 8 == 0 {
        term += 1
        let low = state.hardState.commit + 1
        from = low + rng.next() % (from - low + 1)
      }
      let count = 1 + Int(rng.next() % 4)
      let batch = (0..<count).map { i in
        Entry(term: term, index: from + UInt64(i), data: randomBytes(Int(rng.next() % 700)))
      }
      let entries = applying(batch, to: state.entries)
      var hs = state.hardState
      hs.term = term
      let back = rng.next() % 3
      if rng.next() % 2 == 0, UInt64(entries.count) > back { hs.commit = max(hs.commit, UInt64(entries.count) - back) }
      hs.commit = min(hs.commit, UInt64(entries.count))
      let sync = rng.next() % 5 != 0
      history.append(ModelState(entries: entries, hardState: hs))
      do {
        try target.save(hardState: hs, entries: batch, mustSync: sync)
      } catch { return error }
      if sync { durable = history.count - 1 }
    }
    return nil
  }

  /// Every state recovery may produce: a state from the durable one on, or one of them with a prefix of the next
  /// batch's entries (its hard state not yet written).
  func candidates() -> [ModelState] {
    var out: [ModelState] = []
    for j in durable..<history.count {
      out.append(history[j])
      guard j + 1 < history.count else { continue }
      let next = history[j + 1]
      // Reconstruct the batch: the suffix of next.entries that differs from history[j].
      var k = 0
      while k < min(next.entries.count, history[j].entries.count), next.entries[k] == history[j].entries[k] { k += 1 }
      let batch = next.entries[k...]
      for n in 0...batch.count {
        out.append(ModelState(entries: applying(batch.prefix(n), to: history[j].entries), hardState: history[j].hardState))
      }
    }
    return out
  }
}

@Suite struct WALCrashTests {
  static let dir = "/data/member/wal"
  static let options = WALOptions(segmentSize: 4096)

  /// Recovers after a crash and checks the result is a state the history allows; returns the WAL and its state.
  func recover(_ fs: SimulatedFileSystem, _ workload: CrashWorkload, seed: UInt64, round: Int) throws -> (WriteAheadLog, ModelState, SnapshotMarker)? {
    guard try WriteAheadLog.exists(fs: fs, directory: Self.dir) else {
      #expect(workload.durable == 0 && workload.history[0].entries.isEmpty, "seed \(seed): WAL vanished after acknowledged writes")
      return nil
    }
    let markers = try WriteAheadLog.snapshotMarkers(fs: fs, directory: Self.dir)
    let marker = markers.max { $0.index < $1.index } ?? SnapshotMarker()
    #expect(marker.index >= workload.marker.index, "seed \(seed): durable snapshot marker lost")
    let (wal, recovery) = try WriteAheadLog.open(fs: fs, directory: Self.dir, at: marker, options: Self.options)
    let candidates = workload.candidates()
    let match = candidates.first { c in
      Array(c.entries.dropFirst(Int(marker.index))) == recovery.entries && c.hardState == recovery.hardState
    }
    #expect(match != nil, "seed \(seed) round \(round): recovered \(recovery.entries.count) entries after \(marker.index), hs \(recovery.hardState); durable state has \(workload.history[workload.durable].entries.count); recovered \(recovery.entries.map { "\($0.index)/\($0.term)" }); candidates \(candidates.map { c in "\(c.entries.count)/\(c.entries.last?.term ?? 0)/\(c.hardState.term)/\(c.hardState.commit)" })")
    guard let match else { return nil }
    return (wal, match, marker)
  }

  @Test func randomCrashPointsNeverLoseAcknowledgedEntriesNorInventAny() throws {
    var crashes = 0
    for seed in UInt64(1)...1500 { crashes += try crashTwice(seed: seed) }
    #expect(crashes > 2500, "only \(crashes) crash recoveries checked")
  }

  /// One seeded run: crash at a random point of a workload, recover and check, write more, crash, recover, check.
  func crashTwice(seed: UInt64) throws -> Int {
    // The crash point falls anywhere in the workload (about 90 mutating operations: 30 batches plus cuts).
    var pick = SplitMix64(seed: seed ^ 0xABCD)
    let crashAt = 1 + Int(pick.next() % 100)

    let fs = SimulatedFileSystem(seed: seed)
    fs.scheduleCrash(afterOperations: crashAt)
    var workload = CrashWorkload(seed: seed, start: ModelState(entries: [], hardState: HardState()))
    do {
      let wal = try WriteAheadLog.create(fs: fs, directory: Self.dir, metadata: WALMetadata(memberID: 1, clusterID: 2), options: Self.options)
      _ = workload.run(wal, batches: 30)
    } catch {}
    let after = fs.crash()
    guard let recovered = try recover(after, workload, seed: seed, round: 1) else { return 1 }
    let (wal, state) = (recovered.0, recovered.1)
    // Second round: keep writing on the recovered log, crash again, recover again.
    var second = CrashWorkload(seed: seed &* 31, start: state)
    second.term = max(state.hardState.term, state.entries.last?.term ?? 0) + 1
    second.marker = recovered.2
    after.scheduleCrash(afterOperations: 1 + Int(pick.next() % 60))
    _ = second.run(wal, batches: 20)
    let again = after.crash()
    _ = try recover(again, second, seed: seed, round: 2)
    return 2
  }
}
