// `swetcd-bench watch`: events/s the watch hub delivers to N watchers on M keys (in this process, no network).
import ArgumentParser
import MVCC
import Synchronization

/// Feeds the watch hub commits as the store would and drains every stream, reporting events delivered per second
/// for live (synced) delivery and for catch-up of watchers that start at revision 1.
struct WatchBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Measure events/s delivered by the watch hub to N watchers on M keys (in-process).",
    discussion: """
      Live: --commits single-key puts spread over --keys keys go to --watchers single-key watchers (one per key, \
      round robin), --range-watchers watchers on distinct small ranges and --prefix-watchers watchers on the whole \
      key prefix, over --streams streams drained every --drain-every commits. Catch-up: the same history is then read by --watchers watchers starting at revision 1, \
      in rounds of 1000 revisions. Build with -c release for a meaningful figure.
      """
  )

  @Option(help: "Single-key watchers (spread over the keys).")
  var watchers: Int = 1_000

  @Option(help: "Watchers on the prefix covering every key.")
  var prefixWatchers: Int = 10

  @Option(help: "Watchers on distinct ranges [key, key+0xff) (each holds one key and the keys extending it).")
  var rangeWatchers: Int = 0

  @Option(help: "Distinct keys written.")
  var keys: Int = 1_000

  @Option(help: "Commits (one put each).")
  var commits: Int = 200_000

  @Option(help: "Watch streams the watchers are spread over.")
  var streams: Int = 100

  @Option(help: "Drain every stream after this many commits.")
  var drainEvery: Int = 64

  @Option(help: "Value size in bytes.")
  var size: Int = 256

  func validate() throws {
    guard watchers >= 0, prefixWatchers >= 0, rangeWatchers >= 0, size >= 0,
      keys > 0, commits > 0, streams > 0, drainEvery > 0
    else {
      throw ValidationError("need --keys, --commits, --streams, --drain-every > 0 and the others >= 0")
    }
  }

  func run() throws {
    let history = BenchHistory()
    let keyBytes = (0..<keys).map { Array("/bench/key/\($0)".utf8) }
    let value = [UInt8](repeating: 0x76, count: size)
    let clock = ContinuousClock()

    // Live delivery.
    let hub = WatchHub(source: history)
    let channels = (0..<streams).map { _ in hub.openStream(bufferCapacity: 4 * drainEvery) }
    for index in 0..<watchers {
      channels[index % streams].create(WatchCreateRequest(range: KeyRange(key: keyBytes[index % keys])))
    }
    for index in 0..<rangeWatchers {
      let start = keyBytes[index % keys]
      channels[index % streams].create(WatchCreateRequest(range: KeyRange(key: start, end: start + [0xff])))
    }
    for index in 0..<prefixWatchers {
      channels[index % streams].create(WatchCreateRequest(range: .prefix(Array("/bench/key/".utf8))))
    }
    var delivered = drain(channels)
    delivered = 0
    let liveStart = clock.now
    for index in 0..<commits {
      let (revision, events) = history.put(keyBytes[index % keys], value)
      hub.didCommit(revision: revision, events: events)
      if (index + 1) % drainEvery == 0 { delivered += drain(channels) }
    }
    delivered += drain(channels)
    let liveSeconds = BenchFormat.seconds(clock.now - liveStart)
    let stats = hub.statistics
    print("watch live: \(watchers) key, \(rangeWatchers) range and \(prefixWatchers) prefix watchers on \(keys) keys, "
      + "\(streams) streams")
    print("  \(commits) commits in \(BenchFormat.fixed(liveSeconds, 3)) s = \(BenchFormat.rate(commits, liveSeconds)) commits/s; "
      + "\(delivered) events delivered = \(BenchFormat.rate(delivered, liveSeconds)) events/s; victims \(stats.victims)")

    // Catch-up from history.
    let catchUpHub = WatchHub(source: history)
    let catchUpStreams = (0..<streams).map { _ in catchUpHub.openStream(bufferCapacity: 1_024) }
    let catchUpWatchers = max(1, watchers)
    for index in 0..<catchUpWatchers {
      catchUpStreams[index % streams].create(
        WatchCreateRequest(range: KeyRange(key: keyBytes[index % keys]), startRevision: 1))
    }
    _ = drain(catchUpStreams)
    var caughtUp = 0
    var rounds = 0
    let catchUpStart = clock.now
    while catchUpHub.syncRound() {
      caughtUp += drain(catchUpStreams)
      rounds += 1
    }
    caughtUp += drain(catchUpStreams)
    let catchUpSeconds = BenchFormat.seconds(clock.now - catchUpStart)
    print("watch catch-up: \(catchUpWatchers) watchers from revision 1 over \(commits) revisions, \(rounds) rounds")
    print("  \(caughtUp) events delivered in \(BenchFormat.fixed(catchUpSeconds, 3)) s = \(BenchFormat.rate(caughtUp, catchUpSeconds)) events/s")
  }

  private func drain(_ streams: [WatchStream]) -> Int {
    var events = 0
    for stream in streams {
      while let response = stream.poll() { events += response.events.count }
    }
    return events
  }

}

/// An append-only event log standing in for the store.
final class BenchHistory: WatchEventSource {
  private struct State {
    var current: Int64 = 1
    var log: [Event] = []
    var createdAt: [[UInt8]: Int64] = [:]
  }
  private let state = Mutex(State())

  var currentRevision: Int64 { state.withLock { $0.current } }
  var compactedRevision: Int64 { 0 }

  func put(_ key: [UInt8], _ value: [UInt8]) -> (Int64, [Event]) {
    state.withLock { s in
      s.current += 1
      let created = s.createdAt[key] ?? s.current
      s.createdAt[key] = created
      let event = Event(kind: .put, kv: KeyValue(key: key, createRevision: created, modRevision: s.current,
        version: s.current - created + 1, value: value))
      s.log.append(event)
      return (s.current, [event])
    }
  }

  func events(from: Int64, through: Int64, limit: Int) throws(MVCCError) -> [Event] {
    state.withLock { s in
      // One event per revision, starting at revision 2.
      let low = Int(max(from, 2) - 2)
      let high = min(Int(through - 1), s.log.count)
      guard low < high else { return [] }
      return Array(s.log[low..<high])
    }
  }

  func value(of key: [UInt8], atRevision rev: Int64) throws(MVCCError) -> KeyValue? { nil }
}
