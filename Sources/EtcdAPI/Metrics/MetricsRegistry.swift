// The set of metric families a server exposes on /metrics.
import Foundation
import Synchronization

/// A metric's identity: name, help text, kind, label names and (histograms) bucket upper bounds.
public struct MetricDefinition: Sendable, Hashable {
  public var name: String
  public var help: String
  public var kind: MetricKind
  public var labelNames: [String]
  public var buckets: [Double]

  public init(name: String, help: String, kind: MetricKind, labelNames: [String] = [], buckets: [Double] = []) {
    self.name = name
    self.help = help
    self.kind = kind
    self.labelNames = labelNames
    self.buckets = buckets
  }

  /// `count` bounds starting at `start`, each `factor` times the previous (Prometheus' ExponentialBuckets).
  public static func exponentialBuckets(start: Double, factor: Double, count: Int) -> [Double] {
    (0..<count).map { start * pow(factor, Double($0)) }
  }
}

/// Thread-safe registry of counters, gauges and histograms, rendered in Prometheus text format 0.0.4.
/// Registering the same name twice returns the existing family (kinds must agree).
public final class MetricsRegistry: Sendable {
  private let families = Mutex<[String: any RenderableFamily]>([:])

  public init() {}

  public func counter(_ definition: MetricDefinition) -> MetricFamily<Counter> {
    family(definition, kind: .counter) { Counter() }
  }

  public func gauge(_ definition: MetricDefinition) -> MetricFamily<Gauge> {
    family(definition, kind: .gauge) { Gauge() }
  }

  public func histogram(_ definition: MetricDefinition) -> MetricFamily<Histogram> {
    let bounds = definition.buckets.sorted()
    return family(definition, kind: .histogram) { Histogram(upperBounds: bounds) }
  }

  private func family<Series: PrometheusSeries & AnyObject>(
    _ definition: MetricDefinition, kind: MetricKind, make: @escaping @Sendable () -> Series
  ) -> MetricFamily<Series> {
    precondition(definition.kind == kind, "\(definition.name) is a \(definition.kind.rawValue), not a \(kind.rawValue)")
    return families.withLock { families in
      if let existing = families[definition.name] {
        guard let typed = existing as? MetricFamily<Series> else {
          preconditionFailure("metric \(definition.name) was registered with another kind")
        }
        return typed
      }
      let created = MetricFamily(
        name: definition.name, help: definition.help, kind: kind, labelNames: definition.labelNames, makeSeries: make)
      families[definition.name] = created
      return created
    }
  }

  /// The text exposition: families sorted by name, each with `# HELP`, `# TYPE` and its samples.
  public func exposition() -> String {
    let all = families.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    var text = ""
    text.reserveCapacity(all.count * 200)
    for family in all { family.render(into: &text) }
    return text
  }

  /// The /metrics handler.
  public func httpHandler() -> HTTPHandler {
    { _ in HTTPResponse(contentType: PrometheusText.contentType, body: Array(self.exposition().utf8)) }
  }
}
