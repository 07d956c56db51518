import EtcdProto
import Foundation
import GRPCCore

/// Maintenance calls swetcd-ops uses on day 2: consistency hashes, alarms, defragmentation and compaction.
extension EtcdConnection {
  /// Maintenance.HashKV of this member, at `revision` (0: its current revision). A member that has not applied
  /// `revision` yet answers "etcdserver: mvcc: required revision is a future revision"; one that compacted past
  /// it, "etcdserver: mvcc: required revision has been compacted".
  public func hashKV(revision: Int64 = 0) async throws(EtcdClientError) -> KVHash {
    var request = Etcdserverpb_HashKVRequest()
    request.revision = revision
    let response = try await call("HashKV") { grpc in
      try await Etcdserverpb_Maintenance.Client(wrapping: grpc).hashKV(request, options: options)
    }
    return KVHash(memberID: response.header.memberID, hash: response.hash, compactRevision: response.compactRevision,
                  revision: response.header.revision)
  }

  /// Maintenance.Alarm GET: every alarm raised in the cluster (the list is cluster-wide, whichever member answers).
  public func alarms() async throws(EtcdClientError) -> [MemberAlarm] {
    var request = Etcdserverpb_AlarmRequest()
    request.action = .get
    let response = try await call("Alarm") { grpc in
      try await Etcdserverpb_Maintenance.Client(wrapping: grpc).alarm(request, options: options)
    }
    return response.alarms.map { MemberAlarm(memberID: $0.memberID, alarm: Self.alarmName($0.alarm)) }
  }

  /// Deactivates every raised alarm, as `etcdctl alarm disarm` does (list, then deactivate each).
  /// - Returns: The alarms that were disarmed. An alarm whose cause remains (e.g. NOSPACE while the database is
  ///   still over quota) is raised again by the next write that trips it.
  @discardableResult
  public func disarmAll() async throws(EtcdClientError) -> [MemberAlarm] {
    var disarmed: [MemberAlarm] = []
    for alarm in try await alarms() {
      var request = Etcdserverpb_AlarmRequest()
      request.action = .deactivate
      request.memberID = alarm.memberID
      request.alarm = Self.alarmType(alarm.alarm)
      _ = try await call("Alarm") { grpc in
        try await Etcdserverpb_Maintenance.Client(wrapping: grpc).alarm(request, options: options)
      }
      disarmed.append(alarm)
    }
    return disarmed
  }

  /// Maintenance.Defragment of this member only (it blocks the member's reads and writes while it runs; do one
  /// member at a time). Large databases need longer than the usual call timeout: pass `timeout`.
  public func defragment(timeout: Duration? = nil) async throws(EtcdClientError) {
    var options = self.options
    if let timeout { options.timeout = timeout }
    _ = try await call("Defragment") { grpc in
      try await Etcdserverpb_Maintenance.Client(wrapping: grpc).defragment(Etcdserverpb_DefragmentRequest(), options: options)
    }
  }

  /// KV.Compact: discards the key-value history before `revision` cluster-wide. With `physical`, returns only once
  /// the compaction is applied to this member's backend. Reads at older revisions then fail with
  /// "etcdserver: mvcc: required revision has been compacted".
  public func compact(revision: Int64, physical: Bool) async throws(EtcdClientError) {
    var request = Etcdserverpb_CompactionRequest()
    request.revision = revision
    request.physical = physical
    _ = try await call("Compact") { grpc in
      try await Etcdserverpb_KV.Client(wrapping: grpc).compact(request, options: options)
    }
  }

  static func alarmName(_ type: Etcdserverpb_AlarmType) -> String {
    switch type {
    case .none: return "NONE"
    case .nospace: return "NOSPACE"
    case .corrupt: return "CORRUPT"
    case .UNRECOGNIZED(let value): return "UNKNOWN(\(value))"
    }
  }

  static func alarmType(_ name: String) -> Etcdserverpb_AlarmType {
    switch name {
    case "NOSPACE": return .nospace
    case "CORRUPT": return .corrupt
    default:
      if name.hasPrefix("UNKNOWN("), let value = Int(name.dropFirst(8).dropLast()) { return .UNRECOGNIZED(value) }
      return .none
    }
  }
}
