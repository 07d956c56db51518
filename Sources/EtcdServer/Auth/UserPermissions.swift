// A user's merged key permissions (etcd's unifiedRangePermissions): the READ and WRITE interval unions of all the
// user's roles, rebuilt whenever the user or one of its roles changes.

import EtcdProto

/// Read and write key sets of one user, merged over its roles.
public struct UserPermissions: Sendable, Equatable {
  /// Keys the user may read.
  public let read: KeyIntervalSet
  /// Keys the user may write.
  public let write: KeyIntervalSet

  /// Merges the permissions of `roles` (READWRITE counts for both sets).
  public init(roles: [Authpb_Role]) {
    var read: [(begin: [UInt8], end: [UInt8]?)] = []
    var write: [(begin: [UInt8], end: [UInt8]?)] = []
    for role in roles {
      for permission in role.keyPermission {
        let interval = Self.interval(key: [UInt8](permission.key), rangeEnd: [UInt8](permission.rangeEnd))
        switch permission.permType {
        case .read: read.append(interval)
        case .write: write.append(interval)
        case .readwrite:
          read.append(interval)
          write.append(interval)
        case .UNRECOGNIZED: continue
        }
      }
    }
    self.read = KeyIntervalSet(read)
    self.write = KeyIntervalSet(write)
  }

  /// Whether the keys of a request (`key`, etcd's `range_end`) are all in `set`.
  ///
  /// `rangeEnd` empty: the one key; `[0]`: every key from `key` on; otherwise `[key, rangeEnd)`. A range whose end
  /// is not after its key is checked as its first key, as etcd 3.4 answers it.
  static func permits(_ set: KeyIntervalSet, key: [UInt8], rangeEnd: [UInt8]) -> Bool {
    if rangeEnd.isEmpty { return set.contains(key: key) }
    // "" is no valid key: a range from "" holds the same keys as one from "\0".
    let begin = key.isEmpty ? [0] : key
    if rangeEnd == [0] { return set.covers(begin: begin, end: nil) }
    if compareBytes(rangeEnd, key) <= 0 { return set.contains(key: key) }
    return set.covers(begin: begin, end: rangeEnd)
  }

  /// The interval a stored permission grants: one key, `[key, rangeEnd)`, or from `key` on when `rangeEnd == "\0"`.
  static func interval(key: [UInt8], rangeEnd: [UInt8]) -> (begin: [UInt8], end: [UInt8]?) {
    if rangeEnd.isEmpty { return (key, key + [0]) }
    let begin = key.isEmpty ? [0] : key
    if rangeEnd == [0] { return (begin, nil) }
    return (begin, rangeEnd)
  }
}
