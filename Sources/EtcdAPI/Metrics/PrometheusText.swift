// Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then one line per sample.

/// Formatting helpers for the text exposition format.
enum PrometheusText {
  /// The Content-Type of /metrics.
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// Numbers as Prometheus' Go client prints them: integers without a fraction, +Inf/-Inf/NaN spelled out,
  /// other values in shortest round-trip form.
  static func number(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  static func escapeHelp(_ text: String) -> String {
    guard text.contains(where: { $0 == "\\" || $0 == "\n" }) else { return text }
    return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
  }

  static func escapeLabelValue(_ text: String) -> String {
    guard text.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\"" }) else { return text }
    return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
      .replacingOccurrences(of: "\"", with: "\\\"")
  }

  /// `{a="1",b="2"}` with label pairs sorted by name, plus `extra` (e.g. `le`) last; empty when there are none.
  static func labelSet(names: [String], values: [String], extra: (String, String)? = nil) -> String {
    var pairs = zip(names, values).sorted { $0.0 < $1.0 }
    if let extra { pairs.append(extra) }
    guard !pairs.isEmpty else { return "" }
    return "{" + pairs.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
  }

  static func header(into text: inout String, name: String, help: String, kind: MetricKind) {
    text += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
  }
}

extension MetricFamily {
  /// Series ordered as the Go client orders them: by label values taken in label-name order.
  fileprivate func seriesInPrintOrder() -> [([String], Series)] {
    let order = labelNames.indices.sorted { labelNames[$0] < labelNames[$1] }
    return sortedSeries().sorted { lhs, rhs in
      order.map { lhs.0[$0] }.lexicographicallyPrecedes(order.map { rhs.0[$0] })
    }
  }
}

extension MetricFamily: RenderableFamily where Series: PrometheusSeries {
  func render(into text: inout String) {
    let all = seriesInPrintOrder()
    guard !all.isEmpty else { return }
    PrometheusText.header(into: &text, name: name, help: help, kind: kind)
    for (values, series) in all { series.render(name: name, labelNames: labelNames, values: values, into: &text) }
  }
}

/// A series that can write its sample lines.
protocol PrometheusSeries: Sendable {
  func render(name: String, labelNames: [String], values: [String], into text: inout String)
}

extension Counter: PrometheusSeries {
  func render(name: String, labelNames: [String], values: [String], into text: inout String) {
    text += "\(name)\(PrometheusText.labelSet(names: labelNames, values: values)) \(value)\n"
  }
}

extension Gauge: PrometheusSeries {
  func render(name: String, labelNames: [String], values: [String], into text: inout String) {
    text += "\(name)\(PrometheusText.labelSet(names: labelNames, values: values)) \(PrometheusText.number(value))\n"
  }
}

extension Histogram: PrometheusSeries {
  func render(name: String, labelNames: [String], values: [String], into text: inout String) {
    let (cumulative, sum, count) = snapshot
    for (index, count) in cumulative.enumerated() {
      let bound = index < upperBounds.count ? PrometheusText.number(upperBounds[index]) : "+Inf"
      let labels = PrometheusText.labelSet(names: labelNames, values: values, extra: ("le", bound))
      text += "\(name)_bucket\(labels) \(count)\n"
    }
    let labels = PrometheusText.labelSet(names: labelNames, values: values)
    text += "\(name)_sum\(labels) \(PrometheusText.number(sum))\n\(name)_count\(labels) \(count)\n"
  }
}
