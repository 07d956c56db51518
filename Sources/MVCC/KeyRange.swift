// The key interval of a Range, DeleteRange or Watch request, with etcd's conventions for `range_end`.

/// The keys a request covers, from `key` and etcd's `range_end`:
/// - `end` empty: the single key `key`;
/// - `end == [0]`: every key >= `key` (with `key == [0]` too: every key);
/// - otherwise the half-open interval [`key`, `end`) in byte order (empty when `end <= key`).
public struct KeyRange: Hashable, Sendable {
  /// The first key (or the only key).
  public var key: [UInt8]
  /// etcd's `range_end`.
  public var end: [UInt8]

  /// Creates a range from a request's `key` and `range_end`.
  public init(key: [UInt8], end: [UInt8] = []) {
    self.key = key
    self.end = end
  }

  /// The range of every key starting with `prefix` (etcdctl `--prefix`); an empty prefix means every key.
  public static func prefix(_ prefix: [UInt8]) -> KeyRange {
    guard !prefix.isEmpty else { return KeyRange(key: [0], end: [0]) }
    var end = prefix
    while let last = end.last {
      if last < 0xff {
        end[end.count - 1] = last + 1
        return KeyRange(key: prefix, end: end)
      }
      end.removeLast()
    }
    // Every byte was 0xff: no key after the prefix bounds it, so the range runs to the end of the keyspace.
    return KeyRange(key: prefix, end: [0])
  }

  /// True when the range is one key.
  public var isSingleKey: Bool { end.isEmpty }

  /// True when the range has no upper bound.
  public var isOpenEnded: Bool { end == [0] }

  /// Whether `candidate` falls in the range.
  public func contains(_ candidate: [UInt8]) -> Bool {
    if isSingleKey { return candidate == key }
    let effectiveStart: [UInt8] = (key == [0] && isOpenEnded) ? [] : key
    guard !candidate.lexicographicallyPrecedes(effectiveStart) else { return false }
    return isOpenEnded || candidate.lexicographicallyPrecedes(end)
  }
}
