extension Duration {
  /// The duration in fractional seconds (for reports: "took 1.25 s").
  var fractionalSeconds: Double {
    let parts = components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
  }
}
