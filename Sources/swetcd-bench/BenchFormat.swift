// Figures the benchmarks print: durations as seconds, rates, fixed-point numbers, and the process's memory.
import Foundation

enum BenchFormat {
  /// A duration in seconds.
  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }

  /// `count` per second over `seconds`, rounded.
  static func rate(_ count: Int, _ seconds: Double) -> Int { Int((Double(count) / max(seconds, 1e-9)).rounded()) }

  /// `value` with exactly `digits` decimals.
  static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

  /// Bytes as MiB with one decimal.
  static func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

  /// The process's resident set and its peak (VmRSS, VmHWM from /proc/self/status), in bytes.
  static func memory() -> (rss: Int, peak: Int) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Int {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
      return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return (field("VmRSS"), field("VmHWM"))
  }
}
