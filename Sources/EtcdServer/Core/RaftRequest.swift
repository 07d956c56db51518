// What a normal Raft entry carries: one client request (etcd's InternalRaftRequest), tagged with the ID the
// proposing member waits on and, for client requests, etcd's request header (the user name and the auth revision
// its credentials were checked at), so the applier checks permissions at apply time as etcd's authApplierV3 does.
//
// Encoding: one kind byte (bit 7 set when a header follows), the 8-byte big-endian request ID, then with a header
// the 8-byte big-endian auth revision, the user name's 2-byte big-endian length and its UTF-8 bytes, then the
// request's protobuf bytes (etcd's own messages, so every field of a request survives the log unchanged). Entries
// without a header are the member's own (expired-lease revokes, which etcd runs as root) or were written before
// auth was wired.
//
// Two auth requests carry a value the proposer computed in a field meant for another: `userAdd` and
// `userChangePassword` carry the bcrypt hash in `password` (the plaintext never reaches the log), and `authenticate`
// carries the simple-token prefix in `password` (etcd 3.4 logs the password there; we do not).

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
  case authEnable(Etcdserverpb_AuthEnableRequest)
  case authDisable(Etcdserverpb_AuthDisableRequest)
  /// `name` is the user, `password` holds the simple-token prefix the proposer made ("" for JWT).
  case authenticate(Etcdserverpb_AuthenticateRequest)
  /// `password` holds the bcrypt hash (empty with `options.noPassword`).
  case userAdd(Etcdserverpb_AuthUserAddRequest)
  case userDelete(Etcdserverpb_AuthUserDeleteRequest)
  /// `password` holds the bcrypt hash.
  case userChangePassword(Etcdserverpb_AuthUserChangePasswordRequest)
  case userGrantRole(Etcdserverpb_AuthUserGrantRoleRequest)
  case userGet(Etcdserverpb_AuthUserGetRequest)
  case userList(Etcdserverpb_AuthUserListRequest)
  case userRevokeRole(Etcdserverpb_AuthUserRevokeRoleRequest)
  case roleAdd(Etcdserverpb_AuthRoleAddRequest)
  case roleGrantPermission(Etcdserverpb_AuthRoleGrantPermissionRequest)
  case roleGet(Etcdserverpb_AuthRoleGetRequest)
  case roleList(Etcdserverpb_AuthRoleListRequest)
  case roleDelete(Etcdserverpb_AuthRoleDeleteRequest)
  case roleRevokePermission(Etcdserverpb_AuthRoleRevokePermissionRequest)
  /// MemberUpdate: new peer URLs of a member (no vote changes, so a normal entry).
  case memberUpdate(Etcdserverpb_MemberUpdateRequest)
  /// A starting member publishes its name and client URLs (`id`, `name`, `clientUrls` are read).
  case memberAttributes(Etcdserverpb_Member)

  private var kind: UInt8 {
    switch self {
    case .put: 1
    case .deleteRange: 2
    case .txn: 3
    case .compaction: 4
    case .leaseGrant: 5
    case .leaseRevoke: 6
    case .alarm: 7
    case .authEnable: 8
    case .authDisable: 9
    case .authenticate: 10
    case .userAdd: 11
    case .userDelete: 12
    case .userChangePassword: 13
    case .userGrantRole: 14
    case .userGet: 15
    case .userList: 16
    case .userRevokeRole: 17
    case .roleAdd: 18
    case .roleGrantPermission: 19
    case .roleGet: 20
    case .roleList: 21
    case .roleDelete: 22
    case .roleRevokePermission: 23
    case .memberUpdate: 24
    case .memberAttributes: 25
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
    case .authEnable(let m): m
    case .authDisable(let m): m
    case .authenticate(let m): m
    case .userAdd(let m): m
    case .userDelete(let m): m
    case .userChangePassword(let m): m
    case .userGrantRole(let m): m
    case .userGet(let m): m
    case .userList(let m): m
    case .userRevokeRole(let m): m
    case .roleAdd(let m): m
    case .roleGrantPermission(let m): m
    case .roleGet(let m): m
    case .roleList(let m): m
    case .roleDelete(let m): m
    case .roleRevokePermission(let m): m
    case .memberUpdate(let m): m
    case .memberAttributes(let m): m
    }
  }

  private static let headerFlag: UInt8 = 0x80

  /// The entry data for this request with `id`, proposed on behalf of `auth` (nil: the member's own request).
  func encoded(id: UInt64, auth: AuthInfo? = nil) throws(ServerError) -> [UInt8] {
    let body: [UInt8]
    do { body = try message.serializedBytes() } catch { throw .internalError("cannot encode request: \(error)") }
    let name = auth.map { Array($0.username.utf8) } ?? []
    guard name.count <= Int(UInt16.max) else { throw .requestTooLarge }
    var bytes = [UInt8]()
    bytes.reserveCapacity(9 + (auth == nil ? 0 : 10 + name.count) + body.count)
    bytes.append(auth == nil ? kind : kind | Self.headerFlag)
    bytes.append(contentsOf: id.bigEndianBytes)
    if let auth {
      bytes.append(contentsOf: auth.revision.bigEndianBytes)
      withUnsafeBytes(of: UInt16(name.count).bigEndian) { bytes.append(contentsOf: $0) }
      bytes.append(contentsOf: name)
    }
    bytes.append(contentsOf: body)
    return bytes
  }

  /// Decodes entry data; nil for an empty entry (the leader's no-op of a new term).
  static func decode(_ data: [UInt8]) throws(ServerError) -> (id: UInt64, auth: AuthInfo?, request: RaftRequest)? {
    guard !data.isEmpty else { return nil }
    guard data.count >= 9 else { throw .corruptEntry("an entry of \(data.count) bytes is too short for a request") }
    let id = UInt64(bigEndianBytes: data[1..<9])
    var start = 9
    var auth: AuthInfo?
    if data[0] & headerFlag != 0 {
      guard data.count >= 19 else { throw .corruptEntry("an entry of \(data.count) bytes is too short for a header") }
      let revision = UInt64(bigEndianBytes: data[9..<17])
      let length = Int(data[17]) << 8 | Int(data[18])
      guard data.count >= 19 + length else { throw .corruptEntry("the header's user name runs past the entry") }
      auth = AuthInfo(username: String(decoding: data[19..<(19 + length)], as: UTF8.self), revision: revision)
      start = 19 + length
    }
    let body = data[start...]
    let kind = data[0] & ~headerFlag
    do {
      guard let request = try decodeBody(kind: kind, body) else {
        throw ServerError.corruptEntry("unknown request kind \(kind)")
      }
      return (id, auth, request)
    } catch let error as ServerError {
      throw error
    } catch {
      throw .corruptEntry("request kind \(kind) does not decode: \(error)")
    }
  }

  private static func decodeBody(kind: UInt8, _ body: ArraySlice<UInt8>) throws -> RaftRequest? {
    switch kind {
    case 1: .put(try .init(serializedBytes: body))
    case 2: .deleteRange(try .init(serializedBytes: body))
    case 3: .txn(try .init(serializedBytes: body))
    case 4: .compaction(try .init(serializedBytes: body))
    case 5: .leaseGrant(try .init(serializedBytes: body))
    case 6: .leaseRevoke(try .init(serializedBytes: body))
    case 7: .alarm(try .init(serializedBytes: body))
    case 8: .authEnable(try .init(serializedBytes: body))
    case 9: .authDisable(try .init(serializedBytes: body))
    case 10: .authenticate(try .init(serializedBytes: body))
    case 11: .userAdd(try .init(serializedBytes: body))
    case 12: .userDelete(try .init(serializedBytes: body))
    case 13: .userChangePassword(try .init(serializedBytes: body))
    case 14: .userGrantRole(try .init(serializedBytes: body))
    case 15: .userGet(try .init(serializedBytes: body))
    case 16: .userList(try .init(serializedBytes: body))
    case 17: .userRevokeRole(try .init(serializedBytes: body))
    case 18: .roleAdd(try .init(serializedBytes: body))
    case 19: .roleGrantPermission(try .init(serializedBytes: body))
    case 20: .roleGet(try .init(serializedBytes: body))
    case 21: .roleList(try .init(serializedBytes: body))
    case 22: .roleDelete(try .init(serializedBytes: body))
    case 23: .roleRevokePermission(try .init(serializedBytes: body))
    case 24: .memberUpdate(try .init(serializedBytes: body))
    case 25: .memberAttributes(try .init(serializedBytes: body))
    default: nil
    }
  }
}

extension UInt64 {
  /// The value as 8 bytes, big-endian (request IDs in entries, conf changes and read contexts).
  var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }

  /// Reads big-endian bytes (8 for a whole value).
  init(bigEndianBytes bytes: some Collection<UInt8>) {
    self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
  }
}
