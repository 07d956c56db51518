// The client port's own endpoints: /version, /health, /livez, /readyz, /metrics (etcd 3.4's answers; the probes
// as in etcd 3.5).
import BuildInfo

extension HTTPRouter {
  /// The cluster version /version reports until the cluster has decided one.
  public static let undecidedClusterVersion = "not_decided"

  /// Adds GET /version, GET /health, GET /livez and /readyz (when `probes`), and /metrics (when `metrics` is given;
  /// `beforeScrape` runs first, to set the gauges read from elsewhere).
  /// - Parameters:
  ///   - clusterVersion: The cluster version (`3.4.0`), nil while undecided.
  ///   - healthy: Whether the member is healthy (has a leader, no NOSPACE alarm...): 200 `{"health":"true"}`,
  ///     else 503 `{"health":"false"}`. etcd 3.4 gives no reason field.
  ///   - ready: Whether /readyz answers 200 `ok` (else 503). /livez always answers `ok` while the process serves.
  ///   - probes: etcd 3.4.23 has no /livez or /readyz (404); pass false to match it exactly.
  public mutating func addBuiltinRoutes(
    clusterVersion: @escaping @Sendable () -> String? = { "3.4.0" },
    healthy: @escaping @Sendable () async -> Bool,
    ready: (@Sendable () async -> Bool)? = nil,
    metrics: MetricsRegistry? = nil,
    beforeScrape: (@Sendable () -> Void)? = nil,
    probes: Bool = true
  ) {
    add(["GET"], exact: "/version") { _ in
      let cluster = clusterVersion() ?? Self.undecidedClusterVersion
      return .json("{\"etcdserver\":\"\(BuildInfo.etcdCompatibleVersion)\",\"etcdcluster\":\"\(cluster)\"}")
    }
    add(["GET"], exact: "/health") { _ in
      let ok = await healthy()
      // etcd 3.4 writes this JSON with Go's default text/plain content type.
      return HTTPResponse(
        status: ok ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8",
        body: Array("{\"health\":\"\(ok)\"}".utf8))
    }
    if probes {
      add(["GET"], exact: "/livez") { _ in Self.probeAnswer(true) }
      add(["GET"], exact: "/readyz") { _ in Self.probeAnswer(await (ready ?? healthy)()) }
    }
    if let metrics {
      // Prometheus' handler answers any method.
      let scrape = metrics.httpHandler()
      add(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"], exact: "/metrics") { request in
        beforeScrape?()
        return await scrape(request)
      }
    }
  }

  private static func probeAnswer(_ ok: Bool) -> HTTPResponse {
    HTTPResponse(status: ok ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8",
                 body: Array((ok ? "ok" : "not ok").utf8))
  }
}
