// A named metric with help text and label names; one series per distinct label value tuple.
import Synchronization

/// The kind of a metric family, as written on its `# TYPE` line.
public enum MetricKind: String, Sendable {
  case counter, gauge, histogram
}

/// How a family renders itself (the registry holds families of all kinds).
protocol RenderableFamily: Sendable {
  var name: String { get }
  func render(into text: inout String)
}

/// A metric family: name, help, kind, label names, and its series. Look a series up once with ``labels(_:)`` and
/// keep the handle on hot paths; the lookup takes a lock and builds a key.
public final class MetricFamily<Series: Sendable & AnyObject>: Sendable {
  public let name: String
  public let help: String
  public let kind: MetricKind
  public let labelNames: [String]
  private let makeSeries: @Sendable () -> Series
  private let series: Mutex<[[String]: Series]>

  init(name: String, help: String, kind: MetricKind, labelNames: [String], makeSeries: @escaping @Sendable () -> Series) {
    self.name = name
    self.help = help
    self.kind = kind
    self.labelNames = labelNames
    self.makeSeries = makeSeries
    series = Mutex(labelNames.isEmpty ? [[]: makeSeries()] : [:])
  }

  /// The series for `values` (one per label name, in ``labelNames`` order), created at zero on first use.
  public func labels(_ values: [String]) -> Series {
    precondition(values.count == labelNames.count, "\(name) has labels \(labelNames), got \(values.count) values")
    return series.withLock { all in
      if let existing = all[values] { return existing }
      let created = makeSeries()
      all[values] = created
      return created
    }
  }

  /// The series for `values`, variadic form.
  public func labels(_ values: String...) -> Series { labels(values) }

  /// The only series of a family without labels.
  public var unlabeled: Series { labels([]) }

  /// Every series with its label values, sorted by label values (the order Prometheus' Go client prints).
  func sortedSeries() -> [([String], Series)] {
    series.withLock { Array($0) }.map { ($0.key, $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
  }
}
