// `swetcd-bench mvcc put|range|restart`: speed and memory of the MVCC store on SQLite (no Raft, no network).
import ArgumentParser
import Foundation
import Synchronization
import MVCC

/// The MVCC store benchmarks (build with -c release for meaningful figures; scripts/bench-mvcc does).
struct MVCCBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mvcc",
    abstract: "Measure the MVCC store: applied puts/s with batching, ranges/s, RSS per key, restart time and peak RSS.",
    subcommands: [Put.self, RangeReads.self, Restart.self]
  )

  /// Options shared by the subcommands.
  struct Common: ParsableArguments {
    @Option(help: "Data directory (the database is <dir>/db); a temporary one, removed at the end, when omitted.")
    var dir: String?

    @Option(help: "Number of distinct keys.")
    var keys: Int = 1_000_000

    @Option(help: "Value size in bytes (etcd's benchmark: 256).")
    var valueSize: Int = 256

    @Option(help: "--backend-batch-limit.")
    var batchLimit: Int = 10_000
  }

  /// etcd's benchmark keys: 8 bytes, here the decimal key number.
  static func key(_ n: Int) -> [UInt8] {
    var digits = [UInt8](repeating: 0x30, count: 8)
    var value = n
    for position in stride(from: 7, through: 0, by: -1) {
      digits[position] = 0x30 + UInt8(value % 10)
      value /= 10
    }
    return digits
  }

  /// Opens (and empties, when temporary) the store directory; returns the path and a cleanup.
  static func directory(_ common: Common) -> (path: String, cleanup: () -> Void) {
    if let dir = common.dir {
      try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      return (dir, {})
    }
    let dir = NSTemporaryDirectory() + "swetcd-bench-mvcc-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return (dir, { try? FileManager.default.removeItem(atPath: dir) })
  }

  /// Puts `keys` keys as the applier would (one consistent index per put, the batch committing at its limit or
  /// every 100 ms of the clock); returns the elapsed time.
  static func load(_ store: KVStore, keys: Int, valueSize: Int) throws -> Duration {
    let value = [UInt8](repeating: 0x61, count: valueSize)
    let clock = ContinuousClock()
    let start = clock.now
    for n in 0..<keys {
      _ = try store.put(PutRequest(key: key(n), value: value), applied: ConsistentIndex(index: UInt64(n + 1), term: 1))
      if n & 1023 == 0 { try store.flushIfDue(now: start.duration(to: clock.now)) }
    }
    try store.commit()
    return start.duration(to: clock.now)
  }

  struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Applied puts/s and RSS bytes per key.")
    @OptionGroup var common: Common

    func run() throws {
      let (dir, cleanup) = MVCCBenchmark.directory(common)
      defer { cleanup() }
      let store = try KVStore(path: dir + "/db", options: KVStoreOptions(backend: BackendOptions(batchLimit: common.batchLimit)))
      let before = BenchFormat.memory()
      let elapsed = try MVCCBenchmark.load(store, keys: common.keys, valueSize: common.valueSize)
      let after = BenchFormat.memory()
      let status = try store.status()
      print("mvcc put: \(common.keys) keys (8-byte keys, \(common.valueSize)-byte values), batch limit \(common.batchLimit)")
      print(String(format: "puts/s: %.0f (%.2f s)", Double(common.keys) / BenchFormat.seconds(elapsed), BenchFormat.seconds(elapsed)))
      print("rss bytes/key: \((after.rss - before.rss) / max(1, common.keys)) (rss \(BenchFormat.mib(before.rss)) -> \(BenchFormat.mib(after.rss)), peak \(BenchFormat.mib(after.peak)))")
      print("db size: \(BenchFormat.mib(Int(status.dbSize))), revision \(status.revision)")
    }
  }

  struct RangeReads: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "range", abstract: "Single-key ranges/s and 100-key ranges/s.")
    @OptionGroup var common: Common

    @Option(help: "Range requests per measurement.")
    var count: Int = 200_000

    @Option(help: "Reader threads.")
    var threads: Int = 1

    @Flag(help: "Keep one writer thread putting random existing keys (the applier) while the readers measure.")
    var withWriter = false

    func run() throws {
      let (dir, cleanup) = MVCCBenchmark.directory(common)
      defer { cleanup() }
      let store = try KVStore(path: dir + "/db")
      if store.currentRevision < Int64(common.keys) {
        _ = try MVCCBenchmark.load(store, keys: common.keys, valueSize: common.valueSize)
      }
      let keys = common.keys
      let stop = Atomic<Bool>(false)
      let writes = Atomic<Int>(0)
      let writerDone = DispatchSemaphore(value: 0)
      if withWriter {
        let value = [UInt8](repeating: 0x62, count: common.valueSize)
        Thread.detachNewThread {
          defer { writerDone.signal() }
          let clock = ContinuousClock()
          let start = clock.now
          var generator = SystemRandomNumberGenerator()
          while !stop.load(ordering: .relaxed) {
            _ = try? store.put(PutRequest(key: MVCCBenchmark.key(Int.random(in: 0..<keys, using: &generator)), value: value))
            writes.add(1, ordering: .relaxed)
            _ = try? store.flushIfDue(now: start.duration(to: clock.now))
          }
        }
      }
      defer {
        stop.store(true, ordering: .relaxed)
        if withWriter { writerDone.wait() }
      }
      for (label, width) in [("single-key", 0), ("100-key", 100)] {
        let writesBefore = writes.load(ordering: .relaxed)
        let clock = ContinuousClock()
        let perThread = count / max(1, threads)
        let group = DispatchGroup()
        let start = clock.now
        for _ in 0..<max(1, threads) {
          DispatchQueue.global().async(group: group) {
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<perThread {
              let n = Int.random(in: 0..<max(1, keys - width), using: &generator)
              let request = width == 0
                ? RangeRequest(key: MVCCBenchmark.key(n))
                : RangeRequest(key: MVCCBenchmark.key(n), rangeEnd: MVCCBenchmark.key(n + width))
              _ = try? store.range(request)
            }
          }
        }
        group.wait()
        let elapsed = start.duration(to: clock.now)
        print(String(format: "mvcc range %@: %.0f ranges/s (%d ranges, %d threads, %.2f s)", label,
                     Double(perThread * max(1, threads)) / BenchFormat.seconds(elapsed), perThread * max(1, threads), max(1, threads), BenchFormat.seconds(elapsed)))
        if withWriter {
          let written = writes.load(ordering: .relaxed) - writesBefore
          print("  meanwhile the writer: \(BenchFormat.rate(written, BenchFormat.seconds(elapsed))) puts/s (\(written) puts)")
        }
      }
    }
  }

  struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Time to reopen a store (rebuild the index) and the peak RSS of this process.",
      discussion: "Loads --keys keys into --dir first when it holds no store; run it again to measure a pure restart.")
    @OptionGroup var common: Common

    func run() throws {
      let (dir, cleanup) = MVCCBenchmark.directory(common)
      defer { cleanup() }
      let path = dir + "/db"
      if !FileManager.default.fileExists(atPath: path) {
        let store = try KVStore(path: path)
        let elapsed = try MVCCBenchmark.load(store, keys: common.keys, valueSize: common.valueSize)
        print(String(format: "loaded %d keys in %.2f s; run again with --dir %@ to measure the restart", common.keys, BenchFormat.seconds(elapsed), dir))
        if common.dir != nil { return }
      }
      let clock = ContinuousClock()
      let start = clock.now
      let store = try KVStore(path: path)
      let ready = start.duration(to: clock.now)
      let counts = store.keyCounts
      let memory = BenchFormat.memory()
      print(String(format: "mvcc restart: %d keys, revision %lld, ready in %.2f s", counts.live, store.currentRevision, BenchFormat.seconds(ready)))
      print("peak rss (VmHWM): \(BenchFormat.mib(memory.peak)), rss \(BenchFormat.mib(memory.rss))")
    }
  }
}
