// The Maintenance service of a member: Status, Alarm, Defragment, Hash, HashKV.

import BuildInfo
import EtcdProto
import Foundation
import MVCC

extension EtcdServer {
  /// Maintenance.Status as etcd 3.4 answers it (no permission needed).
  public func status(caller: Caller) throws(ServerError) -> Etcdserverpb_StatusResponse {
    let storeStatus: StoreStatus
    do { storeStatus = try store.status() } catch { throw .store(error) }
    let raft = raftStatus
    var response = Etcdserverpb_StatusResponse()
    response.header = header(revision: storeStatus.revision)
    response.version = BuildInfo.etcdCompatibleVersion
    response.dbSize = storeStatus.dbSize
    response.dbSizeInUse = storeStatus.dbSizeInUse
    response.leader = raft.leader
    response.raftIndex = raft.committed
    response.raftTerm = raft.term
    response.raftAppliedIndex = raft.applied
    response.isLearner = loop.current.isLearner
    response.errors = store.alarms().map { "memberID:\($0.memberID) alarm:\(Self.alarmName($0.alarm)) " }
    return response
  }

  /// Maintenance.Alarm: GET, ACTIVATE and DEACTIVATE all go through Raft, as in etcd (3.4 checks no permission).
  /// etcd 3.4 answers without a header (`etcdctl alarm list -w json` prints `{}`), and so does this.
  public func alarm(_ request: Etcdserverpb_AlarmRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_AlarmResponse
  {
    guard case .alarm(let response, _) = try await propose(.alarm(request), caller: caller) else {
      throw Self.mismatch
    }
    return response
  }

  /// Maintenance.Defragment: rewrites the database without free pages (reads and writes wait meanwhile). Root only
  /// while auth is on.
  public func defragment(caller: Caller) throws(ServerError) -> Etcdserverpb_DefragmentResponse {
    try requireAdmin(caller)
    do { _ = try store.defragment() } catch { throw .store(error) }
    var response = Etcdserverpb_DefragmentResponse()
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// Maintenance.Hash: a checksum of the whole store. Root only while auth is on.
  public func hash(caller: Caller) throws(ServerError) -> Etcdserverpb_HashResponse {
    try requireAdmin(caller)
    var response = Etcdserverpb_HashResponse()
    do { response.hash = try store.hash() } catch { throw .store(error) }
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// Maintenance.HashKV at `revision` (0: current). Root only while auth is on. `compact_revision` is -1 while the
  /// store was never compacted, as etcd answers.
  public func hashKV(_ request: Etcdserverpb_HashKVRequest, caller: Caller) throws(ServerError)
    -> Etcdserverpb_HashKVResponse
  {
    try requireAdmin(caller)
    let result: HashKVResult
    do { result = try store.hashKV(request.revision) } catch { throw .store(error) }
    var response = Etcdserverpb_HashKVResponse()
    response.header = header(revision: result.currentRevision)
    response.hash = result.hash
    response.compactRevision = result.compactRevision == 0 ? -1 : result.compactRevision
    return response
  }

  /// Maintenance.Snapshot: a consistent copy of the database, handed to `send` in 32 KiB chunks, then etcd's last
  /// message: the SHA-256 of the bytes sent (which etcdctl checks and keeps as the file's trailer). Root only while
  /// auth is on. Throws `ServerError` for the member's refusals and failures, and whatever `send` throws.
  public func snapshot(caller: Caller, send: (Etcdserverpb_SnapshotResponse) async throws -> Void) async throws {
    try requireAdmin(caller)
    let stream: SnapshotStream
    do throws(MVCCError) { stream = try store.snapshot(in: NSTemporaryDirectory()) } catch { throw ServerError.store(error) }
    defer { stream.close() }
    while true {
      try Task.checkCancellation()
      let chunk: [UInt8]?
      do throws(MVCCError) { chunk = try stream.nextChunk() } catch { throw ServerError.store(error) }
      guard let chunk else { break }
      var message = Etcdserverpb_SnapshotResponse()
      message.blob = Data(chunk)
      message.remainingBytes = UInt64(max(0, stream.remainingBytes))
      try await send(message)
    }
    var trailer = Etcdserverpb_SnapshotResponse()
    trailer.blob = Data(stream.trailer ?? [])
    try await send(trailer)
  }

  /// Maintenance.MoveLeader (etcd 3.4 checks no permission here): only the leader moves leadership, to a voting
  /// member, and answers once that member leads ("leader transfer took too long" when it does not in time).
  public func moveLeader(_ request: Etcdserverpb_MoveLeaderRequest, caller: Caller) async throws(ServerError)
    -> Etcdserverpb_MoveLeaderResponse
  {
    guard raftStatus.leader == memberID else { throw .notLeader }
    // The leader itself, or a voting member.
    guard request.targetID == memberID || membership.member(request.targetID)?.isLearner == false else {
      throw .badLeaderTransferee
    }
    if request.targetID != memberID {
      guard loop.enqueue(.transferLeader(request.targetID)) else { throw .stopped }
      let deadline = clock.now() + settings.requestTimeout
      while raftStatus.leader != request.targetID {
        if clock.now() >= deadline { throw .leaderTransferTimeout }
        do { try await Task.sleep(for: settings.heartbeatInterval) } catch { throw .canceled }
      }
    }
    var response = Etcdserverpb_MoveLeaderResponse()
    response.header = header(revision: store.currentRevision)
    return response
  }

  /// etcd's names of alarm types (as in its status errors and `alarm list` output).
  static func alarmName(_ alarm: AlarmType) -> String {
    switch alarm {
    case .none: "NONE"
    case .noSpace: "NOSPACE"
    case .corrupt: "CORRUPT"
    }
  }
}
