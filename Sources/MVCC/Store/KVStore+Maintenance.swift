// Quota and alarms, status, defragmentation and snapshots of the store.

/// etcd's AlarmType.
public enum AlarmType: Int32, Hashable, Sendable {
  case none = 0
  /// The backend reached its quota: only deletes, compaction and defragmentation are accepted.
  case noSpace = 1
  /// A member's data diverged from the others.
  case corrupt = 2
}

/// A raised alarm and the member that raised it (etcd's AlarmMember).
public struct AlarmMember: Hashable, Sendable {
  public var memberID: UInt64
  public var alarm: AlarmType

  /// Creates an alarm entry.
  public init(memberID: UInt64, alarm: AlarmType) {
    self.memberID = memberID
    self.alarm = alarm
  }

  var metaName: String { MetaKey.alarmPrefix + String(memberID, radix: 16) + "/" + String(alarm.rawValue) }
}

/// What Maintenance.Status reports about the store.
public struct StoreStatus: Hashable, Sendable {
  /// The database size in bytes.
  public var dbSize: Int64
  /// The bytes in use (the rest is free pages a defragmentation gives back).
  public var dbSizeInUse: Int64
  public var revision: Int64
  public var compactRevision: Int64
  public var consistentIndex: ConsistentIndex
}

extension KVStore {
  static func loadAlarms(from backend: Backend) throws(MVCCError) -> Set<AlarmMember> {
    var result: Set<AlarmMember> = []
    for (name, _) in try backend.metas(withPrefix: MetaKey.alarmPrefix) {
      let parts = name.dropFirst(MetaKey.alarmPrefix.count).split(separator: "/")
      guard parts.count == 2, let member = UInt64(parts[0], radix: 16), let raw = Int32(parts[1]),
        let alarm = AlarmType(rawValue: raw)
      else { throw MVCCError.corrupt(path: backend.path, detail: "unreadable alarm record \(name) in meta") }
      result.insert(AlarmMember(memberID: member, alarm: alarm))
    }
    return result
  }

  /// Raised alarms, by member then type.
  public func alarms() -> [AlarmMember] {
    // Never throws: the body does not.
    (try? writing { alarmSet.sorted { ($0.memberID, $0.alarm.rawValue) < ($1.memberID, $1.alarm.rawValue) } }) ?? []
  }

  /// Raises an alarm (persisted with the next commit).
  public func activate(_ alarm: AlarmMember, applied: ConsistentIndex? = nil) throws(MVCCError) {
    try writing { () throws(MVCCError) in
      if let applied { try backend.setConsistentIndex(applied) }
      try activateLocked(alarm)
    }
  }

  /// Disarms an alarm; returns whether it was raised.
  @discardableResult
  public func deactivate(_ alarm: AlarmMember, applied: ConsistentIndex? = nil) throws(MVCCError) -> Bool {
    try writing { () throws(MVCCError) -> Bool in
      if let applied { try backend.setConsistentIndex(applied) }
      guard alarmSet.remove(alarm) != nil else { return false }
      try backend.removeMeta(alarm.metaName)
      return true
    }
  }

  private func activateLocked(_ alarm: AlarmMember) throws(MVCCError) {
    guard alarmSet.insert(alarm).inserted else { return }
    try backend.setMeta(alarm.metaName, 1)
  }

  /// Refuses a write that adds `cost` bytes while NOSPACE is raised, and raises NOSPACE when the database would grow
  /// past the quota. Called by the writer.
  func checkQuota(cost: Int) throws(MVCCError) {
    guard let quota = options.effectiveQuotaBytes else { return }
    if alarmSet.contains(where: { $0.alarm == .noSpace }) { throw MVCCError.noSpace(quotaBytes: quota) }
    // etcd counts each key-value with an overhead for the index and page slack.
    if try backend.size(exceeds: quota - Int64(cost + 256)) {
      try activateLocked(AlarmMember(memberID: options.memberID, alarm: .noSpace))
      throw MVCCError.noSpace(quotaBytes: quota)
    }
  }

  /// Maintenance.Status for the store.
  public func status() throws(MVCCError) -> StoreStatus {
    try writing { () throws(MVCCError) -> StoreStatus in
      StoreStatus(
        dbSize: try backend.size(), dbSizeInUse: try backend.sizeInUse(), revision: currentRevision,
        compactRevision: compactedRevision, consistentIndex: try backend.consistentIndex())
    }
  }

  /// Rewrites the database without free pages; reports the size before and after. Reads and writes wait meanwhile.
  public func defragment() throws(MVCCError) -> DefragmentResult {
    try exclusively { () throws(MVCCError) -> DefragmentResult in try backend.defragment() }
  }

  /// A consistent copy of the database (everything applied so far, with its consistent index), as a stream of
  /// 32 KiB chunks with a SHA-256 trailer; the temporary copy is made in `directory`.
  /// Only the commit excludes writes; the copy is read while writes go on.
  public func snapshot(in directory: String) throws(MVCCError) -> SnapshotStream {
    try commit()
    return try fileLock.reading { () throws(MVCCError) -> SnapshotStream in try backend.snapshot(in: directory) }
  }
}
