// The union of a user's key intervals for one permission type, merged into sorted disjoint runs so that "is this
// request's range covered?" is one binary search (etcd answers it with an interval tree's Contains).

import Glibc

/// A set of keys as sorted, disjoint, non-adjacent half-open intervals; `end == nil` means no upper bound.
public struct KeyIntervalSet: Sendable, Equatable {
  /// Interval starts, ascending.
  private(set) var begins: [[UInt8]] = []
  /// Interval ends (exclusive); nil for an open end (only the last interval can have one).
  private(set) var ends: [[UInt8]?] = []

  /// The empty set.
  public init() {}

  /// The union of `intervals` (each `[begin, end)`, `end == nil` unbounded); empty and inverted ones add nothing.
  public init(_ intervals: [(begin: [UInt8], end: [UInt8]?)]) {
    let sorted = intervals.filter { interval in
      guard let end = interval.end else { return true }
      return compareBytes(interval.begin, end) < 0
    }.sorted { compareBytes($0.begin, $1.begin) < 0 }
    for interval in sorted {
      if let lastEnd = ends.last {
        // Touching or overlapping the previous run (etcd's Contains treats [a,b) [b,c) as contiguous): extend it.
        guard let lastEnd else { continue }
        if compareBytes(interval.begin, lastEnd) <= 0 {
          if let end = interval.end {
            if compareBytes(end, lastEnd) > 0 { ends[ends.count - 1] = end }
          } else {
            ends[ends.count - 1] = nil
          }
          continue
        }
      }
      begins.append(interval.begin)
      ends.append(interval.end)
    }
  }

  /// The number of disjoint runs.
  public var runCount: Int { begins.count }

  /// Whether the key `key` is in the set.
  public func contains(key: [UInt8]) -> Bool {
    run(containing: key) != nil
  }

  /// Whether every key of `[begin, end)` is in the set (`end == nil`: every key from `begin` on).
  public func covers(begin: [UInt8], end: [UInt8]?) -> Bool {
    guard let run = run(containing: begin) else { return false }
    guard let runEnd = ends[run] else { return true }
    guard let end else { return false }
    return compareBytes(end, runEnd) <= 0
  }

  /// The index of the run holding `key`, nil when none does.
  private func run(containing key: [UInt8]) -> Int? {
    // The last run whose begin <= key.
    var low = 0
    var high = begins.count
    while low < high {
      let mid = (low + high) / 2
      if compareBytes(begins[mid], key) <= 0 { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    let run = low - 1
    if let end = ends[run], compareBytes(key, end) >= 0 { return nil }
    return run
  }
}

/// Byte-wise lexicographic order of two keys: negative, zero or positive.
@inline(__always)
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
  let common = min(a.count, b.count)
  let result = a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in common == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, common) }
  }
  if result != 0 { return Int(result) }
  return a.count - b.count
}
