@testable import EtcdAPI
import EtcdServer
import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// etcd 3.4's JSON gateway (`/v3/...`) on the client port, driven with real curl against an in-process member.
@Suite struct GatewayCurlTests {
  @Test func putThenRangeWithBase64KeyAndRangeEndReturnsTheValue() async throws {
    try await GatewayFixture.withGateway { base in
      let put = try await gatewayPost(base, "/v3/kv/put", #"{"key":"\#(b64("foo"))","value":"\#(b64("bar"))"}"#)
      #expect(put.status == 200)
      #expect(put.headers["content-type"] == "application/json")
      let putHeader = try #require(try object(put)["header"] as? JSON)
      #expect(putHeader["revision"] as? String == "2")
      #expect(putHeader["cluster_id"] is String && putHeader["member_id"] is String)

      let range = try await gatewayPost(
        base, "/v3/kv/range", #"{"key":"\#(b64("fo"))","range_end":"\#(b64("fp"))"}"#)
      let body = try object(range)
      #expect(body["count"] as? String == "1")
      let kv = try #require((body["kvs"] as? [JSON])?.first)
      #expect(kv["key"] as? String == b64("foo"))
      #expect(kv["value"] as? String == b64("bar"))
      #expect(kv["create_revision"] as? String == "2")
      #expect(kv["version"] as? String == "1")
      #expect(kv["lease"] == nil, "default values are left out")
    }
  }

  @Test func deleteRangeReturnsPrevKVsAndTxnEvaluatesItsCompare() async throws {
    try await GatewayFixture.withGateway { base in
      _ = try await gatewayPost(base, "/v3/kv/put", #"{"key":"\#(b64("a"))","value":"\#(b64("1"))"}"#)
      let txn = try await gatewayPost(base, "/v3/kv/txn", """
        {"compare":[{"target":"VALUE","key":"\(b64("a"))","value":"\(b64("1"))","result":"EQUAL"}],
         "success":[{"request_put":{"key":"\(b64("b"))","value":"\(b64("2"))"}},{"request_range":{"key":"\(b64("a"))"}}],
         "failure":[{"request_delete_range":{"key":"\(b64("a"))"}}]}
        """)
      let answer = try object(txn)
      #expect(answer["succeeded"] as? Bool == true)
      let responses = try #require(answer["responses"] as? [JSON])
      #expect(responses.count == 2)
      #expect(responses[0]["response_put"] != nil)
      let ranged = try #require(responses[1]["response_range"] as? JSON)
      #expect(ranged["count"] as? String == "1")

      let failed = try await gatewayPost(base, "/v3/kv/txn", """
        {"compare":[{"target":"VERSION","key":"\(b64("a"))","version":"7"}],
         "failure":[{"request_range":{"key":"\(b64("b"))"}}]}
        """)
      #expect(failed.status == 200, "\(failed.body)")
      #expect(try object(failed)["succeeded"] == nil, "false is a default value: left out")
      let failedRange = try #require((try object(failed)["responses"] as? [JSON])?.first?["response_range"] as? JSON)
      #expect((failedRange["kvs"] as? [JSON])?.first?["value"] as? String == b64("2"), "\(failed.body)")

      let deleted = try await gatewayPost(
        base, "/v3/kv/deleterange", #"{"key":"\#(b64("a"))","range_end":"\#(b64("c"))","prev_kv":true}"#)
      let body = try object(deleted)
      #expect(body["deleted"] as? String == "2")
      #expect((body["prev_kvs"] as? [JSON])?.compactMap { $0["key"] as? String } == [b64("a"), b64("b")])
    }
  }

  @Test func watchStreamsCreatedThenAnEventForALaterPut() async throws {
    try await GatewayFixture.withGatewayAndMember { base, member in
      let watch = try StreamingCurl(base + "/v3/watch", body: #"{"create_request":{"key":"\#(b64("w"))","prev_kv":true}}"#)
      do {
        #expect(await watch.waitForLines(1))
        let created = try #require(watch.lines.first?["result"] as? JSON)
        #expect(created["created"] as? Bool == true)
        _ = try await gatewayPost(base, "/v3/kv/put", #"{"key":"\#(b64("w"))","value":"\#(b64("v1"))"}"#)
        _ = try await gatewayPost(base, "/v3/kv/put", #"{"key":"\#(b64("w"))","value":"\#(b64("v2"))"}"#)
        #expect(await watch.waitForLines(3))
        let lines = watch.lines
        let second = try #require(lines.count >= 3 ? lines[2]["result"] as? JSON : nil)
        let event = try #require((second["events"] as? [JSON])?.first)
        #expect((event["kv"] as? JSON)?["value"] as? String == b64("v2"))
        #expect((event["prev_kv"] as? JSON)?["value"] as? String == b64("v1"))
        #expect(watch.process.process.isRunning, "the watch stays open after its request body ended")
      } catch {
        await watch.stop()
        throw error
      }
      #expect(member.watchHub.statistics.streams == 1)
      await watch.stop()
      // The client went away: the member's watch stream is closed (the producing task was cancelled).
      #expect(await eventually(within: 10, every: .milliseconds(50)) { member.watchHub.statistics.streams == 0 })
      // The server keeps serving after the client went away mid-stream.
      let status = try await gatewayPost(base, "/v3/maintenance/status", "{}")
      #expect(status.status == 200)
    }
  }

  @Test func leaseGrantKeepAliveAndTimeToLiveRoundTrip() async throws {
    try await GatewayFixture.withGateway { base in
      let grant = try object(try await gatewayPost(base, "/v3/lease/grant", #"{"TTL":60,"ID":4660}"#))
      #expect(grant["ID"] as? String == "4660")
      #expect(grant["TTL"] as? String == "60")
      let keepAlive = try await gatewayPost(base, "/v3/lease/keepalive", #"{"ID":"4660"}{"ID":4660}"#)
      #expect(keepAlive.status == 200)
      #expect(keepAlive.headers["transfer-encoding"] == "chunked")
      let lines = keepAlive.body.split(separator: "\n").map { String($0) }
      #expect(lines.count == 2)
      for line in lines {
        let result = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? JSON)?["result"] as? JSON)
        #expect(result["TTL"] as? String == "60")
      }
      for path in ["/v3/lease/timetolive", "/v3/kv/lease/timetolive"] {
        let ttl = try object(try await gatewayPost(base, path, #"{"ID":4660,"keys":true}"#))
        #expect(ttl["grantedTTL"] as? String == "60")
      }
      let leases = try object(try await gatewayPost(base, "/v3/lease/leases", "{}"))
      #expect((leases["leases"] as? [JSON])?.first?["ID"] as? String == "4660")
      let revoked = try await gatewayPost(base, "/v3/kv/lease/revoke", #"{"ID":4660}"#)
      #expect(revoked.status == 200)
      let again = try await gatewayPost(base, "/v3/lease/revoke", #"{"ID":4660}"#)
      #expect(again.status == 404)
      #expect(try object(again)["error"] as? String == "etcdserver: requested lease not found")
    }
  }

  @Test func maintenanceStatusMemberListAndALearnerAddAnswerAsEtcd() async throws {
    try await GatewayFixture.withGateway { base in
      let status = try object(try await gatewayPost(base, "/v3/maintenance/status", "{}"))
      #expect(status["version"] as? String == "3.4.23")
      #expect(status["leader"] as? String == (status["header"] as? JSON)?["member_id"] as? String)
      #expect(status["dbSize"] is String)
      let members = try object(try await gatewayPost(base, "/v3/cluster/member/list", ""))
      let member = try #require((members["members"] as? [JSON])?.first)
      #expect(member["peerURLs"] is [String] && member["clientURLs"] is [String])
      // A learner does not change the quorum, so the one-member cluster keeps serving after the add.
      let add = try await gatewayPost(
        base, "/v3/cluster/member/add", #"{"peerURLs":["http://127.0.0.1:1"],"isLearner":true}"#)
      #expect(add.status == 200)
      let added = try object(add)
      let learner = try #require(added["member"] as? JSON)
      #expect(learner["isLearner"] as? Bool == true)
      #expect(learner["peerURLs"] as? [String] == ["http://127.0.0.1:1"])
      #expect((added["members"] as? [JSON])?.count == 2)
      let second = try await gatewayPost(
        base, "/v3/cluster/member/add", #"{"peerURLs":["http://127.0.0.1:2"],"isLearner":true}"#)
      #expect(try object(second)["code"] as? Int == 9)
      #expect(try object(second)["error"] as? String == "etcdserver: too many learner members in cluster")
      // grpc-gateway's answer to FAILED_PRECONDITION, with its trailer announcement like every gRPC error.
      #expect(second.status == 412)
      #expect(second.headers["trailer"] == "Grpc-Trailer-Content-Type")
      #expect(second.headers["grpc-trailer-content-type"] == "application/grpc")
      let bad = try await gatewayPost(base, "/v3/cluster/member/add", #"{"peerURLs":["not a url"]}"#)
      #expect(try object(bad)["error"] as? String == "etcdserver: given member URLs are invalid")
    }
  }

  @Test func electionAndLockRoundTrips() async throws {
    try await GatewayFixture.withGateway { base in
      let lease = try object(try await gatewayPost(base, "/v3/lease/grant", #"{"TTL":60}"#))
      let leaseID = try #require(lease["ID"] as? String)
      let observe = try StreamingCurl(base + "/v3/election/observe", body: #"{"name":"\#(b64("el"))"}"#)
      do {
        let campaign = try object(try await gatewayPost(
          base, "/v3/election/campaign", #"{"name":"\#(b64("el"))","value":"\#(b64("v1"))","lease":"\#(leaseID)"}"#))
        let leader = try #require(campaign["leader"] as? JSON)
        #expect(leader["name"] as? String == b64("el"))
        let asked = try object(try await gatewayPost(base, "/v3/election/leader", #"{"name":"\#(b64("el"))"}"#))
        #expect((asked["kv"] as? JSON)?["value"] as? String == b64("v1"))
        #expect(await observe.waitForLines(1))
        #expect(((observe.lines.first?["result"] as? JSON)?["kv"] as? JSON)?["value"] as? String == b64("v1"))
        let leaderJSON = String(decoding: try JSONSerialization.data(withJSONObject: leader), as: UTF8.self)
        let proclaim = try await gatewayPost(
          base, "/v3/election/proclaim", #"{"leader":\#(leaderJSON),"value":"\#(b64("v2"))"}"#)
        #expect(proclaim.status == 200)
        #expect(await observe.waitForLines(2))
        #expect(((observe.lines.dropFirst().first?["result"] as? JSON)?["kv"] as? JSON)?["value"] as? String == b64("v2"))
        let resign = try await gatewayPost(base, "/v3/election/resign", #"{"leader":\#(leaderJSON)}"#)
        #expect(resign.status == 200)
      } catch {
        await observe.stop()
        throw error
      }
      await observe.stop()

      let locked = try object(try await gatewayPost(
        base, "/v3/lock/lock", #"{"name":"\#(b64("lk"))","lease":"\#(leaseID)"}"#))
      let key = try #require(locked["key"] as? String)
      #expect(Data(base64Encoded: key).map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("lk/") == true)
      let unlocked = try await gatewayPost(base, "/v3/lock/unlock", #"{"key":"\#(key)"}"#)
      #expect(unlocked.status == 200)
    }
  }

  @Test func v3betaAnswersAsV3() async throws {
    try await GatewayFixture.withGateway { base in
      _ = try await gatewayPost(base, "/v3beta/kv/put", #"{"key":"\#(b64("k"))","value":"\#(b64("v"))"}"#)
      let v3 = try await gatewayPost(base, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#)
      let beta = try await gatewayPost(base, "/v3beta/kv/range", #"{"key":"\#(b64("k"))"}"#)
      #expect(v3.status == 200 && beta.status == 200)
      #expect(v3.body == beta.body)
    }
  }

  @Test func badInputIsRefusedAndTheServerKeepsServing() async throws {
    try await GatewayFixture.withGateway { base in
      let malformed = try await gatewayPost(base, "/v3/kv/range", #"{"key":"Zm9v"#)
      #expect(malformed.status == 400)
      #expect(malformed.body == #"{"error":"unexpected EOF","message":"unexpected EOF","code":3}"#)
      let garbage = try await gatewayPost(base, "/v3/kv/put", "xyz")
      #expect(try object(garbage)["error"] as? String == "invalid character 'x' looking for beginning of value")
      let badBase64 = try await gatewayPost(base, "/v3/kv/range", #"{"key":"!!!"}"#)
      #expect(try object(badBase64)["error"] as? String == "illegal base64 data at input byte 0")
      let array = try await gatewayPost(base, "/v3/kv/range", "[1]")
      #expect(array.status == 400)
      let empty = try await gatewayPost(base, "/v3/kv/range", "")
      #expect(empty.status == 400)
      #expect((empty.json as? JSON)?["error"] as? String == "etcdserver: key is not provided")
      let tooLarge = try await gatewayPost(
        base, "/v3/kv/put", #"{"key":"YQ==","value":"\#(Data(count: 600_000).base64EncodedString())"}"#)
      #expect(tooLarge.status == 429)
      #expect(try object(tooLarge)["error"] as? String == "grpc: received message larger than max (600007 vs. 526288)")
      let huge = try await gatewayPost(base, "/v3/kv/put", String(repeating: " ", count: 1_100_000) + "{}")
      #expect(huge.status == 429)
      let wrongMethod = try await gatewayPost(base, "/v3/kv/range", "", method: "GET")
      #expect(wrongMethod.status == 405)
      #expect(wrongMethod.body == "Method Not Allowed\n")
      let unknown = try await gatewayPost(base, "/v3/kv/nothing", "{}")
      #expect(unknown.status == 404)
      #expect(unknown.body == "Not Found\n")
      let truncatedWatch = try await gatewayPost(base, "/v3/watch", #"{"create_request":"#)
      #expect(truncatedWatch.status == 500)
      #expect(try object(truncatedWatch)["code"] as? Int == 2)
      // Auth calls work while auth is off (any caller may list users then, as in etcd).
      let auth = try await gatewayPost(base, "/v3/auth/user/list", "{}")
      #expect(auth.status == 200, "\(auth.body)")

      // A body cut short by the client closing the connection, and a request that is not HTTP at all.
      let port = try #require(base.split(separator: ":").last.map(String.init))
      let cutShort = #"POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"key\":"#
      let sent = try await offPool {
        try ChildProcess.run("/bin/bash", ["-c", "printf '\(cutShort)' > /dev/tcp/127.0.0.1/\(port)"], timeout: 10)
      }
      #expect(sent.status == 0, "\(sent.stderr)")
      // Not HTTP: swetcd's HTTP/1.1 decoder answers 400 and closes (docs/compatibility.md); the reply is read.
      let junk = try await offPool {
        try ChildProcess.run("/bin/bash", [
          "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port); printf 'NOT HTTP\\r\\n\\r\\n' >&3; timeout 5 cat <&3; true",
        ], timeout: 10)
      }
      #expect(junk.status == 0, "\(junk.stderr)")
      #expect(junk.stdout.hasPrefix("HTTP/1.1 400 "), "\(junk.stdout)")
      let put = try await gatewayPost(base, "/v3/kv/put", #"{"key":"\#(b64("still"))","value":"\#(b64("ok"))"}"#)
      #expect(put.status == 200)
    }
  }

  @Test func authorizationHeaderBecomesTheGatewayCallersToken() {
    let withToken = HTTPRequest(method: "POST", path: "/v3/kv/range", headers: ["Authorization": "abc.123"])
    #expect(Caller(gatewayRequest: withToken) == Caller(token: "abc.123", viaGateway: true))
    let without = HTTPRequest(method: "POST", path: "/v3/kv/range")
    #expect(Caller(gatewayRequest: without) == Caller(token: nil, viaGateway: true))
  }
}
