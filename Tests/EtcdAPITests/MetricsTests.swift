import EtcdAPI
import EtcdClient
import Foundation
import Testing

/// A parsed sample line: `name{a="b",...} value`.
struct Sample: Equatable {
  var name: String
  var labels: [String: String]
  var value: Double
}

/// Parses Prometheus text format 0.0.4 strictly enough to catch format mistakes: every line is HELP, TYPE or a
/// sample; every sample belongs to a family declared by a preceding TYPE line.
struct Exposition {
  var types: [String: String] = [:]
  var help: [String: String] = [:]
  var samples: [Sample] = []

  init(_ text: String) throws {
    #expect(text.hasSuffix("\n"))
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      if line.hasPrefix("# HELP ") {
        let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
        help[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
      } else if line.hasPrefix("# TYPE ") {
        let parts = line.dropFirst(7).split(separator: " ")
        try #require(parts.count == 2 && ["counter", "gauge", "histogram"].contains(String(parts[1])), "\(line)")
        types[String(parts[0])] = String(parts[1])
      } else {
        samples.append(try Self.sample(String(line)))
      }
    }
    for sample in samples {
      let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
        types[name] == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
      }
      #expect(types[family] != nil, "sample \(sample.name) has no TYPE line")
    }
  }

  static func sample(_ line: String) throws -> Sample {
    let space = try #require(line.lastIndex(of: " "), "no value in \(line)")
    let value = try #require(Double(line[line.index(after: space)...].replacingOccurrences(of: "+Inf", with: "inf")))
    let series = line[..<space]
    guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
    #expect(series.hasSuffix("}"))
    var labels: [String: String] = [:]
    for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
      let parts = pair.split(separator: "=", maxSplits: 1)
      try #require(parts.count == 2 && parts[1].hasPrefix("\"") && parts[1].hasSuffix("\""), "bad label \(pair)")
      labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
    }
    return Sample(name: String(series[..<brace]), labels: labels, value: value)
  }

  func values(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
}

@Suite struct MetricsTests {
  @Test func expositionParsesAndHistogramBucketsAreCumulative() throws {
    let registry = MetricsRegistry()
    let requests = registry.counter(MetricDefinition(name: "t_requests_total", help: "Requests.", kind: .counter,
                                                     labelNames: ["method", "code"]))
    requests.labels("GET", "200").increment(by: 3)
    requests.labels("POST", "500").increment()
    registry.gauge(MetricDefinition(name: "t_temperature", help: "Temp with \\ and\nnewline.", kind: .gauge))
      .unlabeled.set(-1.5)
    let latency = registry.histogram(MetricDefinition(name: "t_latency_seconds", help: "Latency.", kind: .histogram,
                                                      buckets: [0.01, 0.1, 1]))
    for value in [0.005, 0.05, 0.05, 0.5, 5] { latency.unlabeled.observe(value) }

    let exposition = try Exposition(registry.exposition())
    #expect(exposition.types == ["t_requests_total": "counter", "t_temperature": "gauge", "t_latency_seconds": "histogram"])
    #expect(exposition.help["t_temperature"] == "Temp with \\\\ and\\nnewline.")
    #expect(exposition.values("t_requests_total") == [
      Sample(name: "t_requests_total", labels: ["code": "200", "method": "GET"], value: 3),
      Sample(name: "t_requests_total", labels: ["code": "500", "method": "POST"], value: 1),
    ])
    #expect(exposition.values("t_temperature").first?.value == -1.5)
    let buckets = exposition.values("t_latency_seconds_bucket")
    #expect(buckets.map { $0.labels["le"] } == ["0.01", "0.1", "1", "+Inf"])
    #expect(buckets.map(\.value) == [1, 3, 4, 5])
    #expect(exposition.values("t_latency_seconds_count").first?.value == 5)
    #expect(abs((exposition.values("t_latency_seconds_sum").first?.value ?? 0) - 5.605) < 1e-9)
  }

  @Test func aCounterCopiedFromACountKeptElsewhereNeverGoesDown() {
    let registry = MetricsRegistry()
    let counter = registry.counter(MetricDefinition(name: "c_total", help: "H.", kind: .counter)).unlabeled
    counter.advance(to: 5)
    counter.advance(to: 3)
    #expect(counter.value == 5)
    counter.increment()
    counter.advance(to: 6)
    #expect(counter.value == 6)
  }

  @Test func labelPairsAreSortedByNameAndValuesEscaped() {
    let registry = MetricsRegistry()
    let family = registry.counter(MetricDefinition(name: "t_total", help: "H.", kind: .counter, labelNames: ["z", "a"]))
    family.labels("q\"uote", "back\\slash").increment()
    #expect(registry.exposition().contains("t_total{a=\"back\\\\slash\",z=\"q\\\"uote\"} 1\n"))
  }

  @Test func etcdMetricsUseEtcdNamesTypesAndBuckets() throws {
    let metrics = EtcdMetrics()
    metrics.hasLeader.set(1)
    metrics.walFsyncDuration.observe(.milliseconds(3))
    metrics.dbTotalSize.set(20480)
    let exposition = try Exposition(metrics.registry.exposition())
    // As printed by a real etcd 3.4.23.
    #expect(exposition.types["etcd_server_has_leader"] == "gauge")
    #expect(exposition.types["etcd_server_leader_changes_seen_total"] == "counter")
    #expect(exposition.types["etcd_server_proposals_committed_total"] == "gauge")
    #expect(exposition.types["etcd_server_proposals_applied_total"] == "gauge")
    #expect(exposition.types["etcd_server_proposals_pending"] == "gauge")
    #expect(exposition.types["etcd_server_proposals_failed_total"] == "counter")
    #expect(exposition.types["etcd_disk_wal_fsync_duration_seconds"] == "histogram")
    #expect(exposition.types["etcd_disk_backend_commit_duration_seconds"] == "histogram")
    #expect(exposition.types["etcd_mvcc_db_total_size_in_bytes"] == "gauge")
    #expect(exposition.types["etcd_debugging_mvcc_watcher_total"] == "gauge")
    #expect(exposition.types["etcd_debugging_mvcc_slow_watcher_total"] == "gauge")
    #expect(exposition.help["etcd_server_has_leader"] == "Whether or not a leader exists. 1 is existence, 0 is not.")
    #expect(exposition.help["etcd_disk_wal_fsync_duration_seconds"] == "The latency distributions of fsync called by WAL.")
    #expect(exposition.values("etcd_disk_backend_commit_duration_seconds_bucket").map { $0.labels["le"] ?? "" } == [
      "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024", "2.048",
      "4.096", "8.192", "+Inf",
    ])
    #expect(exposition.values("etcd_disk_wal_fsync_duration_seconds_bucket").map(\.value).prefix(3) == [0, 0, 1])
    #expect(metrics.registry.exposition().contains("\netcd_mvcc_db_total_size_in_bytes 20480\n"))
  }

  @Test func grpcCallsAreCountedWithEtcdsLabels() async throws {
    let metrics = EtcdMetrics()
    var router = HTTPRouter()
    router.addBuiltinRoutes(healthy: { true }, metrics: metrics.registry)
    try await withListener(metrics: metrics, router: router) { bound in
      let client = try EtcdClient(endpoints: ["http://127.0.0.1:\(bound.port)"])
      _ = try await client.closing { client async throws(EtcdClientError) in try await client.connections[0].status() }
      let text = try await curl(["http://127.0.0.1:\(bound.port)/metrics"]).stdout
      let exposition = try Exposition(text)
      let labels = ["grpc_method": "Status", "grpc_service": "etcdserverpb.Maintenance", "grpc_type": "unary"]
      #expect(exposition.values("grpc_server_started_total").first { $0.labels == labels }?.value == 1)
      var handled = labels
      handled["grpc_code"] = "OK"
      #expect(exposition.values("grpc_server_handled_total").first { $0.labels == handled }?.value == 1)
      // Every registered method has its series from the start, as in etcd.
      var snapshot = labels
      snapshot["grpc_method"] = "Snapshot"
      snapshot["grpc_type"] = "server_stream"
      #expect(exposition.values("grpc_server_started_total").first { $0.labels == snapshot }?.value == 0)
    }
  }
}
