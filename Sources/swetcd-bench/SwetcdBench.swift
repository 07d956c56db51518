import ArgumentParser
import BuildInfo

/// swetcd-bench: a load generator for any etcd-compatible endpoint, for side-by-side comparison with etcd.
@main
struct SwetcdBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcd-bench",
    abstract: "Load generator for etcd-compatible endpoints (compare swetcd with etcd).",
    discussion: """
      kv put|range loads an endpoint over gRPC (etcd's benchmark put/range workloads); scripts/bench-vs-etcd runs \
      it against etcd 3.4 and swetcd side by side. raft-inmemory, wal, wal-writer, index, mvcc and watch measure \
      one layer in this process.
      """,
    version: "swetcd-bench version: \(BuildInfo.version)",
    subcommands: [
      KVLoadBenchmark.self,
      RaftInMemory.self,
      WALBench.self,
      WALWriter.self,
      IndexBenchmark.self,
      MVCCBenchmark.self,
      WatchBench.self,
    ]
  )
}
