// The keys of one B+tree node, packed end to end in one byte array: a binary search reads one contiguous buffer
// instead of chasing a pointer (and a reference count) per key, and a key costs its bytes plus 4, not an allocation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compares two byte strings in unsigned lexicographic order (a proper prefix sorts first), like Go's
/// `bytes.Compare`. Returns a negative number, zero or a positive number.
@inline(__always)
func compareBytes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Int {
  let common = min(lhs.count, rhs.count)
  if common > 0 {
    let order = memcmp(lhs.baseAddress!, rhs.baseAddress!, common)
    if order != 0 { return Int(order) }
  }
  return lhs.count - rhs.count
}

/// `compareBytes` for arrays.
@inline(__always)
func compareBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
  lhs.withUnsafeBufferPointer { left in rhs.withUnsafeBufferPointer { right in compareBytes(left, right) } }
}

/// An ordered list of byte strings stored in one buffer: key `i` is `bytes[ends[i-1] ..< ends[i]]`.
struct PackedKeys {
  private(set) var bytes: [UInt8] = []
  private(set) var ends: [UInt32] = []

  init() {}

  /// Number of keys.
  var count: Int { ends.count }
  var isEmpty: Bool { ends.isEmpty }

  @inline(__always)
  private func bounds(_ index: Int) -> (start: Int, end: Int) {
    (index == 0 ? 0 : Int(ends[index &- 1]), Int(ends[index]))
  }

  /// Key `index` as an array (allocates).
  subscript(index: Int) -> [UInt8] {
    let (start, end) = bounds(index)
    return Array(bytes[start..<end])
  }

  /// Runs `body` on key `index` without copying it.
  @inline(__always)
  func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    let (start, end) = bounds(index)
    return try bytes.withUnsafeBufferPointer { all in
      try body(UnsafeBufferPointer(rebasing: all[start..<end]))
    }
  }

  /// The index of `key` (`found`) or of the first key above it.
  @inline(__always)
  func search(_ key: UnsafeBufferPointer<UInt8>) -> (index: Int, found: Bool) {
    bytes.withUnsafeBufferPointer { all in
      ends.withUnsafeBufferPointer { ends in
        var low = 0
        var high = ends.count
        while low < high {
          let mid = (low &+ high) >> 1
          let start = mid == 0 ? 0 : Int(ends[mid &- 1])
          let order = compareBytes(UnsafeBufferPointer(rebasing: all[start..<Int(ends[mid])]), key)
          if order == 0 { return (mid, true) }
          if order < 0 { low = mid &+ 1 } else { high = mid }
        }
        return (low, false)
      }
    }
  }

  /// The number of keys <= `key`.
  @inline(__always)
  func upperBound(_ key: UnsafeBufferPointer<UInt8>) -> Int {
    let (index, found) = search(key)
    return found ? index + 1 : index
  }

  /// Inserts `key` at `index` (the caller keeps the order).
  mutating func insert(_ key: UnsafeBufferPointer<UInt8>, at index: Int) {
    let start = index == 0 ? 0 : Int(ends[index - 1])
    bytes.insert(contentsOf: key, at: start)
    let length = UInt32(key.count)
    ends.insert(UInt32(start) + length, at: index)
    var position = index + 1
    while position < ends.count {
      ends[position] &+= length
      position += 1
    }
  }

  /// Removes key `index`.
  mutating func remove(at index: Int) {
    let (start, end) = bounds(index)
    bytes.removeSubrange(start..<end)
    ends.remove(at: index)
    let length = UInt32(end - start)
    var position = index
    while position < ends.count {
      ends[position] &-= length
      position += 1
    }
  }

  /// Replaces key `index` with `key` (the caller keeps the order).
  mutating func replace(at index: Int, with key: UnsafeBufferPointer<UInt8>) {
    remove(at: index)
    insert(key, at: index)
  }

  /// Appends `key` after every key.
  mutating func append(_ key: UnsafeBufferPointer<UInt8>) {
    bytes.append(contentsOf: key)
    ends.append(UInt32(bytes.count))
  }

  /// Appends every key of `other`.
  mutating func append(contentsOf other: PackedKeys) {
    let base = UInt32(bytes.count)
    bytes.append(contentsOf: other.bytes)
    ends.reserveCapacity(ends.count + other.ends.count)
    for end in other.ends { ends.append(base + end) }
  }

  /// Removes and returns the keys from `index` on.
  mutating func removeSuffix(from index: Int) -> PackedKeys {
    var suffix = PackedKeys()
    let start = index == 0 ? 0 : Int(ends[index - 1])
    suffix.bytes = Array(bytes[start...])
    suffix.ends = ends[index...].map { $0 - UInt32(start) }
    bytes.removeSubrange(start...)
    ends.removeSubrange(index...)
    return suffix
  }
}
