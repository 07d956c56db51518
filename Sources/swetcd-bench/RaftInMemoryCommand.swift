// `swetcd-bench raft-inmemory`: throughput of the Raft core alone, with a 3-node cluster in one process.
import ArgumentParser
import Raft

/// Runs an in-memory 3-node Raft cluster (MemoryStorage, instant in-process network) and reports how many
/// proposals per second are committed on the leader and applied on all three nodes.
struct RaftInMemory: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "raft-inmemory",
    abstract: "Measure proposals/s through an in-memory 3-node Raft cluster (no disk, no network).",
    discussion: """
      Proposals are made on the leader in batches of --batch between network rounds, with at most --window \
      proposals uncommitted. Every node persists its Ready to a MemoryStorage before sending, applies committed \
      entries and compacts its log every --compact-every applied entries. Build with -c release for a meaningful figure.
      """
  )

  @Option(help: "Payload size of each proposal in bytes.")
  var size: Int = 256

  @Option(help: "Number of proposals.")
  var count: Int = 100_000

  @Option(help: "Proposals made on the leader between two network rounds.")
  var batch: Int = 64

  @Option(help: "Maximum proposals proposed but not yet committed on the leader.")
  var window: Int = 4_096

  @Option(help: "Compact each node's log after this many applied entries (0 = never).")
  var compactEvery: Int = 10_000

  func validate() throws {
    guard size >= 0, count > 0, batch > 0, window >= batch, compactEvery >= 0 else {
      throw ValidationError("need --size >= 0, --count > 0, --batch > 0, --window >= --batch, --compact-every >= 0")
    }
  }

  func run() throws {
    var cluster = try InMemoryRaftCluster(nodes: 3, compactEvery: UInt64(compactEvery))
    try cluster.electLeader()
    let payload = [UInt8](repeating: 0x61, count: size)
    let clock = ContinuousClock()
    let start = clock.now
    var proposed = 0
    var committedAt: ContinuousClock.Instant?
    var rounds = 0
    while cluster.appliedOnAll < count {
      let room = min(batch, window - (proposed - cluster.committedOnLeader), count - proposed)
      if room > 0 {
        for _ in 0..<room { try cluster.proposeOnLeader(payload) }
        proposed += room
      }
      try cluster.networkRound()
      rounds += 1
      if committedAt == nil && cluster.committedOnLeader >= count { committedAt = clock.now }
      if rounds > 50 * count + 1_000 {
        throw ValidationError("no progress: \(cluster.committedOnLeader) committed after \(rounds) rounds")
      }
    }
    let end = clock.now
    let commitSeconds = BenchFormat.seconds((committedAt ?? end) - start)
    let allSeconds = BenchFormat.seconds(end - start)
    let mib = Double(count * size) / 1_048_576
    print("raft-inmemory: 3 nodes, \(count) proposals x \(size) B, batch \(batch), window \(window)")
    print(line("committed on leader", commitSeconds, mib))
    print(line("applied on all 3", allSeconds, mib))
  }


  private func line(_ what: String, _ secs: Double, _ mib: Double) -> String {
    let rate = Double(count) / max(secs, 1e-9)
    return "\(what): \(count) in \(BenchFormat.fixed(secs, 3)) s = \(Int(rate.rounded())) proposals/s (\(BenchFormat.fixed(mib / max(secs, 1e-9), 1)) MiB/s)"
  }

}
