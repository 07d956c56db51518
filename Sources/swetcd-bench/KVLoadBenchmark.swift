// `swetcd-bench kv put|range`: a client load generator against any etcd-compatible endpoint (etcd's own
// `benchmark put` / `benchmark range` workloads), for side-by-side figures of swetcd and etcd.
import ArgumentParser
import EtcdClient
import EtcdProto
import Foundation
import Raft
import Synchronization

/// Runs `--total` requests from `--clients` concurrent clients over `--conns` gRPC connections and prints the
/// throughput and latency distribution.
struct KVLoadBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kv",
    abstract: "Put or range load against an etcd-compatible endpoint (compare swetcd with etcd).",
    discussion: """
      put: --total puts of --val-size byte values to random keys among --key-space-size keys of --key-size bytes. \
      range: --total single-key ranges (linearizable unless --serializable) of keys written first by a warm-up of \
      --key-space-size puts. Prints requests/s and latency percentiles. Run it against etcd and swetcd started \
      with the same flags on the same machine (scripts/bench-vs-etcd does).
      """)

  enum Workload: String, ExpressibleByArgument { case put, range }

  @Argument(help: "put or range.")
  var workload: Workload

  @Option(help: "Client URL of the member (http://host:port).")
  var endpoint: String = "http://127.0.0.1:2379"

  @Option(help: "gRPC connections.")
  var conns: Int = 1

  @Option(help: "Concurrent clients (requests in flight).")
  var clients: Int = 1

  @Option(help: "Requests in all.")
  var total: Int = 10_000

  @Option(help: "Key size in bytes.")
  var keySize: Int = 8

  @Option(help: "Value size in bytes.")
  var valSize: Int = 8

  @Option(help: "Distinct keys.")
  var keySpaceSize: Int = 1_000

  @Flag(help: "Serializable ranges (local reads, no ReadIndex).")
  var serializable = false

  func validate() throws {
    guard conns > 0, clients > 0, total > 0, keySize >= 8, valSize >= 0, keySpaceSize > 0 else {
      throw ValidationError("need --conns, --clients, --total, --key-space-size > 0, --key-size >= 8, --val-size >= 0")
    }
  }

  func run() async throws {
    let target = try EtcdEndpoint(parsing: endpoint)
    let connections = try (0..<conns).map { _ in try EtcdConnection(endpoint: target, callTimeout: .seconds(30)) }
    let keys = (0..<keySpaceSize).map { Self.key($0, size: keySize) }
    let value = String(repeating: "v", count: valSize)
    if workload == .range {
      try await Self.drive(connections, clients: clients, total: keySpaceSize) { connection, index in
        _ = try await connection.put(keys[index], value)
      }
    }
    let kind = workload
    let serializable = serializable
    let started = ContinuousClock.now
    let latencies = try await Self.drive(connections, clients: clients, total: total) { connection, index in
      // SplitMix64 seeded with the request number spreads consecutive requests over the key space.
      var mix = SplitMix64(seed: UInt64(index))
      let key = keys[Int(mix.next() % UInt64(keys.count))]
      switch kind {
      case .put: _ = try await connection.put(key, value)
      case .range: _ = try await connection.get(key, serializable: serializable)
      }
    }
    let elapsed = BenchFormat.seconds(ContinuousClock.now - started)
    for connection in connections { await connection.close() }
    print(Self.summary(workload: workload.rawValue, latencies: latencies, elapsed: elapsed))
  }

  /// A key of `size` bytes: the index in hex, zero-padded on the left.
  static func key(_ index: Int, size: Int) -> String {
    let hex = String(index, radix: 16)
    return String(repeating: "0", count: max(0, size - hex.count)) + hex
  }

  /// Runs `total` calls of `body` from `clients` tasks, spreading them over the connections; returns each call's
  /// latency in seconds.
  @discardableResult
  static func drive(
    _ connections: [EtcdConnection], clients: Int, total: Int,
    _ body: @escaping @Sendable (EtcdConnection, Int) async throws -> Void
  ) async throws -> [Double] {
    let next = RequestCursor()
    return try await withThrowingTaskGroup(of: [Double].self) { group in
      for client in 0..<clients {
        let connection = connections[client % connections.count]
        group.addTask {
          var latencies: [Double] = []
          while true {
            let index = next.take()
            guard index < total else { return latencies }
            let start = ContinuousClock.now
            try await body(connection, index)
            latencies.append(BenchFormat.seconds(ContinuousClock.now - start))
          }
        }
      }
      var all: [Double] = []
      all.reserveCapacity(total)
      for try await part in group { all += part }
      return all
    }
  }

  /// etcd benchmark's summary: totals, then latency percentiles in milliseconds.
  static func summary(workload: String, latencies: [Double], elapsed: Double) -> String {
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> String {
      let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
      return BenchFormat.fixed(sorted[max(0, index)] * 1000, 3)
    }
    let average = sorted.reduce(0, +) / Double(max(1, sorted.count))
    return """
      \(workload): \(sorted.count) requests in \(BenchFormat.fixed(elapsed, 3)) s
        requests/s: \(BenchFormat.rate(sorted.count, elapsed))
        latency ms: avg \(BenchFormat.fixed(average * 1000, 3)) p50 \(percentile(50)) p90 \(percentile(90)) \
      p99 \(percentile(99)) max \(percentile(100))
      """
  }
}

/// Hands out request numbers to the clients.
final class RequestCursor: Sendable {
  private let next = Atomic<Int>(0)

  /// The next request number (0, 1, 2...).
  func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
