// What a normal Raft entry carries: one client request (etcd's InternalRaftRequest), tagged with the ID the
// proposing member waits on. Encoded as one kind byte, the 8-byte big-endian request ID, then the request's
// protobuf bytes (etcd's own messages, so every field of a request survives the log unchanged).

import EtcdProto
import Foundation
import SwiftProtobuf

/// A request that goes through the Raft log.
public enum RaftRequest: Sendable, Equatable {
  case put(Etcdserverpb_PutRequest)
  case deleteRange(Etcdserverpb_DeleteRangeRequest)
  case txn(Etcdserverpb_TxnRequest)
  case compaction(Etcdserverpb_CompactionRequest)
  case leaseGrant(Etcdserverpb_LeaseGrantRequest)
  case leaseRevoke(Etcdserverpb_LeaseRevokeRequest)
  case alarm(Etcdserverpb_AlarmRequest)

  private var kind: UInt8 {
    switch self {
    case .put: 1
    case .deleteRange: 2
    case .txn: 3
    case .compaction: 4
    case .leaseGrant: 5
    case .leaseRevoke: 6
    case .alarm: 7
    }
  }

  private var message: any SwiftProtobuf.Message {
    switch self {
    case .put(let m): m
    case .deleteRange(let m): m
    case .txn(let m): m
    case .compaction(let m): m
    case .leaseGrant(let m): m
    case .leaseRevoke(let m): m
    case .alarm(let m): m
    }
  }

  /// The entry data for this request with `id`.
  func encoded(id: UInt64) throws(ServerError) -> [UInt8] {
    let body: [UInt8]
    do { body = try message.serializedBytes() } catch { throw .internalError("cannot encode request: \(error)") }
    var bytes = [UInt8]()
    bytes.reserveCapacity(9 + body.count)
    bytes.append(kind)
    withUnsafeBytes(of: id.bigEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: body)
    return bytes
  }

  /// Decodes entry data; nil for an empty entry (the leader's no-op of a new term).
  static func decode(_ data: [UInt8]) throws(ServerError) -> (id: UInt64, request: RaftRequest)? {
    guard !data.isEmpty else { return nil }
    guard data.count >= 9 else { throw .corruptEntry("an entry of \(data.count) bytes is too short for a request") }
    let id = data[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let body = data[9...]
    do {
      switch data[0] {
      case 1: return (id, .put(try Etcdserverpb_PutRequest(serializedBytes: body)))
      case 2: return (id, .deleteRange(try Etcdserverpb_DeleteRangeRequest(serializedBytes: body)))
      case 3: return (id, .txn(try Etcdserverpb_TxnRequest(serializedBytes: body)))
      case 4: return (id, .compaction(try Etcdserverpb_CompactionRequest(serializedBytes: body)))
      case 5: return (id, .leaseGrant(try Etcdserverpb_LeaseGrantRequest(serializedBytes: body)))
      case 6: return (id, .leaseRevoke(try Etcdserverpb_LeaseRevokeRequest(serializedBytes: body)))
      case 7: return (id, .alarm(try Etcdserverpb_AlarmRequest(serializedBytes: body)))
      default: throw ServerError.corruptEntry("unknown request kind \(data[0])")
      }
    } catch let error as ServerError {
      throw error
    } catch {
      throw .corruptEntry("request kind \(data[0]) does not decode: \(error)")
    }
  }
}
