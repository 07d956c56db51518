import ArgumentParser
import BuildInfo

/// swetcd-bench: a load generator for any etcd-compatible endpoint, for side-by-side comparison with etcd.
struct SwetcdBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcd-bench",
    abstract: "Load generator for etcd-compatible endpoints (compare swetcd with etcd).",
    discussion: """
      raft-inmemory measures the Raft core alone (an in-memory 3-node cluster in this process). Workloads against \
      an endpoint (put, range, txn, watch) are not built yet.
      """,
    version: "swetcd-bench version: \(BuildInfo.version)",
    subcommands: [
      RaftInMemory.self,
      WALBench.self,
      WALWriter.self,
      IndexBenchmark.self,
      MVCCBenchmark.self,
      WatchBench.self,
    ]
  )
}

SwetcdBench.main()
