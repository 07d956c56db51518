import ArgumentParser
import BuildInfo

/// swetcd-bench: a load generator for any etcd-compatible endpoint, for side-by-side comparison with etcd.
struct SwetcdBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swetcd-bench",
    abstract: "Load generator for etcd-compatible endpoints (compare swetcd with etcd).",
    discussion: "This build has no workloads yet; put, range, txn and watch workloads are not built yet.",
    version: "swetcd-bench version: \(BuildInfo.version)"
  )
}

SwetcdBench.main()
