import EtcdProto
import Foundation
import SwiftProtobuf
import Testing

/// The generated messages encode exactly as etcd 3.4's do: field numbers and types are checked byte by byte.
@Suite struct WireFormatTests {
  private func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined(separator: " ") }

  @Test func putRequestUsesEtcdFieldNumbers() throws {
    var put = Etcdserverpb_PutRequest()
    put.key = Data("foo".utf8)       // 1, bytes
    put.value = Data("bar".utf8)     // 2, bytes
    put.lease = 7                    // 3, int64
    put.prevKv = true                // 4, bool
    put.ignoreValue = true           // 5, bool
    put.ignoreLease = true           // 6, bool
    let bytes: Data = try put.serializedBytes()
    #expect(hex(bytes) == "0a 03 66 6f 6f 12 03 62 61 72 18 07 20 01 28 01 30 01")
    #expect(try Etcdserverpb_PutRequest(serializedBytes: bytes) == put)
  }

  @Test func rangeRequestUsesEtcdFieldNumbersAndEnumValues() throws {
    var range = Etcdserverpb_RangeRequest()
    range.key = Data("a".utf8)           // 1
    range.rangeEnd = Data("b".utf8)      // 2
    range.limit = 10                     // 3
    range.revision = 5                   // 4
    range.sortOrder = .descend           // 5, DESCEND = 2
    range.sortTarget = .mod              // 6, MOD = 3
    range.serializable = true            // 7
    range.keysOnly = true                // 8
    range.countOnly = true               // 9
    range.minModRevision = 1             // 10
    range.maxCreateRevision = 4          // 13
    let bytes: Data = try range.serializedBytes()
    #expect(hex(bytes) == "0a 01 61 12 01 62 18 0a 20 05 28 02 30 03 38 01 40 01 48 01 50 01 68 04")
    #expect(try Etcdserverpb_RangeRequest(serializedBytes: bytes) == range)
  }

  @Test func keyValueCarriesRevisionsInEtcdOrder() throws {
    var kv = Mvccpb_KeyValue()
    kv.key = Data("k".utf8)   // 1
    kv.createRevision = 2     // 2
    kv.modRevision = 3        // 3
    kv.version = 1            // 4
    kv.value = Data("v".utf8) // 5
    kv.lease = 9              // 6
    let bytes: Data = try kv.serializedBytes()
    #expect(hex(bytes) == "0a 01 6b 10 02 18 03 20 01 2a 01 76 30 09")
  }

  @Test func jsonUsesProtoFieldNamesStringIntegersAndBase64Bytes() throws {
    var range = Etcdserverpb_RangeRequest()
    range.key = Data("foo".utf8)
    range.rangeEnd = Data("fop".utf8)
    range.limit = 10
    range.sortOrder = .ascend
    var options = JSONEncodingOptions()
    options.preserveProtoFieldNames = true
    let json = try range.jsonString(options: options)
    #expect(json == #"{"key":"Zm9v","range_end":"Zm9w","limit":"10","sort_order":"ASCEND"}"#)
    #expect(try Etcdserverpb_RangeRequest(jsonString: json) == range)
  }

  @Test func jsonDecodesTheGatewayPutBodyFromEtcdDocs() throws {
    // The body etcd's documentation POSTs to /v3/kv/put.
    let put = try Etcdserverpb_PutRequest(jsonString: #"{"key": "Zm9v", "value": "YmFy"}"#)
    #expect(put.key == Data("foo".utf8))
    #expect(put.value == Data("bar".utf8))
  }

  @Test func responseHeaderSerialisesUint64AsJSONStrings() throws {
    var header = Etcdserverpb_ResponseHeader()
    header.clusterID = 14841639068965178418
    header.memberID = 10276657743932975437
    header.revision = 2
    header.raftTerm = 3
    var options = JSONEncodingOptions()
    options.preserveProtoFieldNames = true
    #expect(try header.jsonString(options: options) ==
      #"{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"2","raft_term":"3"}"#)
  }

  @Test func txnRequestRoundTripsNestedCompareAndOps() throws {
    var compare = Etcdserverpb_Compare()
    compare.result = .equal
    compare.target = .value
    compare.key = Data("k".utf8)
    compare.value = Data("v1".utf8)
    var put = Etcdserverpb_PutRequest()
    put.key = Data("k".utf8)
    put.value = Data("v2".utf8)
    var op = Etcdserverpb_RequestOp()
    op.requestPut = put
    var txn = Etcdserverpb_TxnRequest()
    txn.compare = [compare]
    txn.success = [op]
    let bytes: Data = try txn.serializedBytes()
    let decoded = try Etcdserverpb_TxnRequest(serializedBytes: bytes)
    #expect(decoded == txn)
    #expect(decoded.success.first?.requestPut.value == Data("v2".utf8))
  }

  @Test func unknownFieldsFromNewerClientsAreKeptNotRejected() throws {
    // A 3.5 client may send fields 3.4 does not know; they must decode, not fail.
    let bytes = Data([0x0a, 0x01, 0x61, 0xf8, 0x01, 0x01])  // key "a", then field 31 varint 1
    let range = try Etcdserverpb_RangeRequest(serializedBytes: bytes)
    #expect(range.key == Data("a".utf8))
    #expect(!range.unknownFields.data.isEmpty)
  }
}
