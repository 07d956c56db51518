import EtcdProto
import Foundation
import GRPCCore

/// A test fixture: a Maintenance service whose Status returns fixed values and whose Snapshot streams fixed
/// chunks. Every other method answers UNIMPLEMENTED, which is what a real client sees for a missing handler.
struct FakeMaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
  /// When set, Snapshot fails with this message (DATA_LOSS) after `failAfterChunks` chunks, as a member that dies
  /// mid-transfer.
  var snapshotFailure: String? = nil
  /// How many chunks go out before `snapshotFailure`.
  static let failAfterChunks = 2
  static let memberID: UInt64 = 0x8e9e05c52164694d
  static let clusterID: UInt64 = 0xcdf818194e3a8c32
  static let snapshotChunks = [Data(repeating: 1, count: 32 * 1024), Data(repeating: 2, count: 32 * 1024), Data("end".utf8)]

  static var status: Etcdserverpb_StatusResponse {
    var header = Etcdserverpb_ResponseHeader()
    header.clusterID = clusterID
    header.memberID = memberID
    header.revision = 42
    header.raftTerm = 3
    var status = Etcdserverpb_StatusResponse()
    status.header = header
    status.version = "3.4.23"
    status.dbSize = 20480
    status.leader = memberID
    status.raftIndex = 17
    status.raftTerm = 3
    status.raftAppliedIndex = 17
    status.dbSizeInUse = 16384
    return status
  }

  func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
    Self.status
  }

  func snapshot(
    request: Etcdserverpb_SnapshotRequest, response: RPCWriter<Etcdserverpb_SnapshotResponse>, context: ServerContext
  ) async throws {
    var remaining = UInt64(Self.snapshotChunks.reduce(0) { $0 + $1.count })
    for (sent, chunk) in Self.snapshotChunks.enumerated() {
      if let snapshotFailure, sent == Self.failAfterChunks { throw RPCError(code: .dataLoss, message: snapshotFailure) }
      remaining -= UInt64(chunk.count)
      var message = Etcdserverpb_SnapshotResponse()
      message.blob = chunk
      message.remainingBytes = remaining
      try await response.write(message)
    }
  }

  private func unimplemented<T>(_ name: String) throws -> T {
    throw RPCError(code: .unimplemented, message: "\(name) is not part of this fixture")
  }

  func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
    try unimplemented("Alarm")
  }
  func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws -> Etcdserverpb_DefragmentResponse {
    try unimplemented("Defragment")
  }
  func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
    try unimplemented("Hash")
  }
  func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
    try unimplemented("HashKV")
  }
  func moveLeader(request: Etcdserverpb_MoveLeaderRequest, context: ServerContext) async throws -> Etcdserverpb_MoveLeaderResponse {
    try unimplemented("MoveLeader")
  }
}
