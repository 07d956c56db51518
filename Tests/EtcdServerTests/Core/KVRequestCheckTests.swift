import EtcdProto
import EtcdServer
import Foundation
import Testing

/// etcd's v3rpc checks: malformed KV requests are refused with etcd's text before anything is read or proposed.
@Suite struct KVRequestCheckTests {
  static func refusal(_ body: () async throws -> Void) async -> String? {
    do {
      try await body()
      return nil
    } catch let error as ServerError {
      #expect(error.code == .invalidArgument, "\(error)")
      return error.description
    } catch {
      return "unexpected error \(error)"
    }
  }

  @Test func emptyKeysIgnoredValuesAndLeasesAndOversizedTxnsGetEtcdsErrors() async throws {
    let member = try SingleMemberTests.Member()
    defer { member.close() }
    let server = member.running
    #expect(await Self.refusal { _ = try await server.range(Etcdserverpb_RangeRequest(), caller: .anonymous) }
      == "etcdserver: key is not provided")
    #expect(await Self.refusal { _ = try await server.put(SingleMemberTests.put("", "v"), caller: .anonymous) }
      == "etcdserver: key is not provided")
    var ignoreValue = SingleMemberTests.put("k", "v")
    ignoreValue.ignoreValue = true
    #expect(await Self.refusal { _ = try await server.put(ignoreValue, caller: .anonymous) }
      == "etcdserver: value is provided")
    var ignoreLease = SingleMemberTests.put("k", "")
    ignoreLease.ignoreLease = true
    ignoreLease.lease = 7
    #expect(await Self.refusal { _ = try await server.put(ignoreLease, caller: .anonymous) }
      == "etcdserver: lease is provided")
    #expect(await Self.refusal { _ = try await server.deleteRange(Etcdserverpb_DeleteRangeRequest(), caller: .anonymous) }
      == "etcdserver: key is not provided")
    var tooMany = Etcdserverpb_TxnRequest()
    tooMany.success = (0..<129).map { index in
      var op = Etcdserverpb_RequestOp()
      op.requestPut = SingleMemberTests.put("k\(index)", "v")
      return op
    }
    #expect(await Self.refusal { _ = try await server.txn(tooMany, caller: .anonymous) }
      == "etcdserver: too many operations in txn request")
    var nestedEmpty = Etcdserverpb_TxnRequest()
    var inner = Etcdserverpb_TxnRequest()
    var emptyPut = Etcdserverpb_RequestOp()
    emptyPut.requestPut = SingleMemberTests.put("", "v")
    inner.failure = [emptyPut]
    var nested = Etcdserverpb_RequestOp()
    nested.requestTxn = inner
    nestedEmpty.success = [nested]
    #expect(await Self.refusal { _ = try await server.txn(nestedEmpty, caller: .anonymous) }
      == "etcdserver: key is not provided")
    var noRequest = Etcdserverpb_TxnRequest()
    noRequest.success = [Etcdserverpb_RequestOp()]
    #expect(await Self.refusal { _ = try await server.txn(noRequest, caller: .anonymous) }
      == "etcdserver: key not found")
    // Nothing was written by any of them.
    #expect(server.store.currentRevision == 1)
  }
}
