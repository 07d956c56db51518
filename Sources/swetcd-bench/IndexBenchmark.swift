// `swetcd-bench index`: speed and memory of the MVCC key index alone.
import ArgumentParser
import MVCC

#if canImport(Glibc)
import Glibc
#endif

/// Loads N keys into a KeyIndexTree and reports inserts/s, lookups/s, range scan keys/s, compaction time and
/// resident memory per key (VmRSS before and after the load).
struct IndexBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "index",
    abstract: "Measure the in-memory MVCC key index: inserts/s, lookups/s and RSS bytes per key.",
    discussion: "Keys are \"/registry/key/%010d\" (24 bytes), inserted in random order unless --sequential. "
      + "Build with -c release for a meaningful figure."
  )

  @Option(help: "Number of keys.")
  var keys: Int = 1_000_000

  @Option(help: "Puts per key (each after the first adds a revision to the key's generation).")
  var revisionsPerKey: Int = 1

  @Flag(help: "Insert keys in ascending order instead of a shuffled order.")
  var sequential = false

  func validate() throws {
    guard keys > 0, revisionsPerKey > 0 else { throw ValidationError("need --keys > 0 and --revisions-per-key > 0") }
  }

  private static func key(_ n: Int) -> [UInt8] {
    var digits = [UInt8](repeating: 0x30, count: 10)
    var value = n
    for position in stride(from: 9, through: 0, by: -1) {
      digits[position] = 0x30 + UInt8(value % 10)
      value /= 10
    }
    return Array("/registry/key/".utf8) + digits
  }

  private static func rate(_ count: Int, _ duration: Duration) -> Int {
    BenchFormat.rate(count, BenchFormat.seconds(duration))
  }

  func run() throws {
    var order = Array(0..<keys)
    if !sequential {
      var generator = SystemRandomNumberGenerator()
      order.shuffle(using: &generator)
    }
    let keyBytes = order.map(Self.key)
    let clock = ContinuousClock()
    let before = BenchFormat.memory().rss
    let index = KeyIndexTree()
    var revision: Int64 = 1
    let insertTime = clock.measure {
      for _ in 0..<revisionsPerKey {
        for key in keyBytes {
          index.put(key, revision: Revision(main: revision))
          revision += 1
        }
      }
    }
    let after = BenchFormat.memory().rss
    let puts = keys * revisionsPerKey
    print("keys: \(keys), revisions per key: \(revisionsPerKey), order: \(sequential ? "ascending" : "random")")
    print("inserts/s: \(Self.rate(puts, insertTime)) (\(puts) puts in \(insertTime))")
    print("rss bytes/key: \((after - before) / keys) (rss \(before / 1_048_576) MiB -> \(after / 1_048_576) MiB, key bytes included)")

    var found = 0
    let lookupTime = clock.measure {
      for key in keyBytes where index.get(key, atRevision: revision) != nil { found += 1 }
    }
    print("lookups/s: \(Self.rate(keys, lookupTime)) (\(found) found)")

    var scanned = 0
    let scanTime = clock.measure {
      var start = 0
      while start < keys {
        let range = KeyRange(key: Self.key(start), end: Self.key(start + 1_000))
        let page = index.range(range, atRevision: revision, limit: 0)
        scanned += page.keys.count
        start += 1_000
      }
    }
    print("range keys/s (pages of 1000 keys): \(Self.rate(scanned, scanTime))")

    var kept = 0
    let compactTime = clock.measure { kept = index.compact(atRevision: revision / 2).count }
    print("compact at \(revision / 2): \(compactTime) (\(kept) revisions kept)")
  }
}
