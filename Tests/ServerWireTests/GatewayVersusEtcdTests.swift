import Foundation
import Testing
import TestSupport

/// The same curl requests against the real etcd 3.4.23 and against swetcd's gateway: statuses and JSON bodies must
/// match once the fields that name the member (cluster_id, member_id, raft_term) are taken out.
@Suite(.enabled(if: RealEtcd.isInstalled, "etcd 3.4 (Debian etcd-server) is not installed"))
struct GatewayVersusEtcdTests {
  /// One request of the script: path, body, method.
  struct Step: Sendable {
    var path: String
    var body: String
    var method = "POST"
    /// Compare only the keys of the first line and of the objects in it (answers that name the member's URLs,
    /// versions, sizes, hashes).
    var keysOnly = false
    /// curl's --max-time for an open-ended stream (the answer is what arrived by then).
    var maxTime: Int? = nil
    /// Why swetcd answers differently for now (checked as a known issue, so a fix shows up).
    var knownDifference: String? = nil
    /// The status and code match etcd's; only the text of the error differs (Go's decoder names Go types).
    var sameStatusOtherText = false
  }

  static let goTypeText = "type errors in a valid JSON body carry Go's decoder text in etcd (Go type names); swetcd says the same in its own words"
  static let memberSide = "a member-side difference, the same over gRPC"

  static let script: [Step] = [
    Step(path: "/v3/kv/put", body: #"{"key":"\#(b64("foo"))","value":"\#(b64("bar"))"}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"\#(b64("foo"))"}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"\#(b64("f"))","range_end":"\#(b64("g"))","count_only":true}"#),
    Step(path: "/v3beta/kv/range", body: #"{"key":"\#(b64("foo"))","keys_only":true}"#),
    Step(path: "/v3/kv/put", body: #"{"key":"\#(b64("a"))","value":"\#(b64("1"))","prev_kv":true}"#),
    Step(path: "/v3/kv/put", body: #"{"key":"\#(b64("a"))","value":"\#(b64("2"))","prev_kv":true}"#),
    Step(path: "/v3/kv/deleterange", body: #"{"key":"\#(b64("a"))","prev_kv":true}"#),
    Step(path: "/v3/kv/txn", body: """
      {"compare":[{"target":"VALUE","key":"\(b64("foo"))","value":"\(b64("bar"))","result":"EQUAL"}],
       "success":[{"request_range":{"key":"\(b64("foo"))"}},{"request_put":{"key":"\(b64("x"))","value":"\(b64("y"))"}}]}
      """),
    Step(path: "/v3/kv/txn", body: """
      {"compare":[{"target":"VERSION","key":"\(b64("foo"))","version":5}],
       "failure":[{"request_delete_range":{"key":"\(b64("x"))"}}]}
      """),
    Step(path: "/v3/kv/compaction", body: #"{"revision":3}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"\#(b64("foo"))","revision":2}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"\#(b64("foo"))","revision":100}"#),
    Step(path: "/v3/kv/range", body: ""),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v""#),
    Step(path: "/v3/kv/range", body: #"{"key":"!!!"}"#),
    Step(path: "/v3/kv/range", body: "[1]"),
    Step(path: "/v3/kv/range", body: "nope"),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v","unknown_field":1}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v","rangeEnd":"Zm9w","sort_order":"DESCEND","sort_target":1}"#),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v","revision":"x"}"#, knownDifference: goTypeText, sameStatusOtherText: true),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v"} trailing"#),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v","limit":1.5}"#, knownDifference: goTypeText, sameStatusOtherText: true),
    Step(path: "/v3/kv/range", body: #"{"key":"Zm9v","sort_order":"SIDEWAYS"}"#, knownDifference: goTypeText, sameStatusOtherText: true),
    Step(path: "/v3/kv/range", body: #"{"key":true}"#, knownDifference: goTypeText, sameStatusOtherText: true),
    Step(path: "/v3/kv/range", body: "{\"key\":\"Zm9v\",}"),
    Step(path: "/v3/kv/range", body: "{key:1}"),
    Step(path: "/v3/kv/range", body: "null"),
    Step(path: "/v3/kv/put", body: #"{"key":"YQ==","value":"\#(Data(count: 3000).base64EncodedString())"}"#),
    Step(path: "/v3/maintenance/alarm", body: "{}"),
    Step(path: "/v3/maintenance/hash", body: "{}", keysOnly: true),
    Step(path: "/v3/maintenance/snapshot", body: "{}", keysOnly: true),
    Step(path: "/v3/kv/put", body: #"{"key":"YQ==","value":"\#(Data(count: 600_000).base64EncodedString())"}"#),
    Step(path: "/v3/kv/nothing", body: "{}"),
    Step(path: "/v3/kv/range", body: "", method: "GET"),
    Step(path: "/v3/maintenance/hashkv", body: "{}"),
    Step(path: "/v3/lease/grant", body: #"{"TTL":30,"ID":1234}"#),
    Step(path: "/v3/lease/keepalive", body: #"{"ID":1234}"#),
    Step(path: "/v3/lease/keepalive", body: #"{"ID":1234}{"ID":"#),
    Step(path: "/v3/lease/keepalive", body: ""),
    Step(path: "/v3/lease/keepalive", body: #"{"ID":77}"#),
    Step(path: "/v3/lease/leases", body: "{}"),
    Step(path: "/v3/kv/lease/revoke", body: #"{"ID":1234}"#),
    Step(path: "/v3/lease/revoke", body: #"{"ID":99}"#),
    Step(path: "/v3/maintenance/transfer-leadership", body: #"{"targetID":5}"#),
    Step(path: "/v3/watch", body: #"{"create_request":"#),
    // Compacted: created, then canceled with compact_revision.
    Step(path: "/v3/watch", body: """
      {"create_request":{"key":"\(b64("a"))","range_end":"\(b64("z"))","start_revision":2}}
      """, maxTime: 2),
    // History after the compaction: puts and deletes with prev_kv.
    Step(path: "/v3/watch", body: """
      {"create_request":{"key":"\(b64("a"))","range_end":"\(b64("z"))","start_revision":4,"prev_kv":true}}
      """, maxTime: 2),
    Step(path: "/v3/maintenance/status", body: "{}", keysOnly: true),
    Step(path: "/v3/cluster/member/list", body: "{}", keysOnly: true),
    Step(path: "/v3/election/campaign", body: #"{"name":"\#(b64("el"))","value":"\#(b64("v"))"}"#, keysOnly: true,
         knownDifference: memberSide + ": etcd's election server grants a session lease when the campaign names none"),
    Step(path: "/v3/lock/lock", body: #"{"name":"\#(b64("lk"))"}"#, keysOnly: true),
  ]

  /// The body with member-naming header fields removed, as comparable JSON text.
  static func normalised(_ answer: CurlAnswer, keysOnly: Bool) -> String {
    let lines = answer.body.split(separator: "\n")
    // Keys-only answers are compared on their first line (a snapshot's chunk count depends on the database size).
    let text = (keysOnly ? Array(lines.prefix(1)) : lines).map { line -> String in
      guard var value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) else {
        return String(line)
      }
      value = strip(value)
      if keysOnly, let object = value as? [String: Any] {
        return object.map { key, inner in
          let innerKeys = (inner as? [String: Any]).map { "(" + $0.keys.sorted().joined(separator: ",") + ")" } ?? ""
          return key + innerKeys
        }.sorted().joined(separator: ",")
      }
      let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
      return data.map { String(decoding: $0, as: UTF8.self) } ?? String(line)
    }
    return "\(answer.status) " + text.joined(separator: "\n")
  }

  private static func strip(_ value: Any) -> Any {
    if var object = value as? [String: Any] {
      for key in ["cluster_id", "member_id", "raft_term"] { object.removeValue(forKey: key) }
      for (key, inner) in object { object[key] = strip(inner) }
      return object
    }
    if let array = value as? [Any] { return array.map(strip) }
    return value
  }

  @Test func sameRequestsGiveTheSameStatusesAndBodiesAsEtcd3423() async throws {
    let etcd = try await RealEtcd.start(extraArguments: ["--max-request-bytes", String(GatewayFixture.maxRequestBytes)])
    var theirs: [String] = []
    do {
      for step in Self.script {
        let answer = try await gatewayPost(etcd.clientURL, step.path, step.body, method: step.method, maxTime: step.maxTime)
        theirs.append(Self.normalised(answer, keysOnly: step.keysOnly))
      }
    } catch {
      await etcd.stopped()
      throw error
    }
    await etcd.stopped()
    let ours = try await GatewayFixture.withGateway { base in
      var answers: [String] = []
      for step in Self.script {
        let answer = try await gatewayPost(base, step.path, step.body, method: step.method, maxTime: step.maxTime)
        answers.append(Self.normalised(answer, keysOnly: step.keysOnly))
      }
      return answers
    }
    // The streamed steps (watch) must have delivered events on both sides, not two equal empty answers.
    for (index, step) in Self.script.enumerated() where step.maxTime != nil {
      for (side, answer) in [("swetcd", ours[index]), ("etcd", theirs[index])] {
        #expect(answer.contains(#""created":true"#), "\(side): streamed lines arrived")
        #expect(answer.contains(#""events""#) || answer.contains(#""compact_revision""#), "\(side): \(answer)")
      }
    }
    let status = #/^(\d+) /#
    for (index, step) in Self.script.enumerated() {
      let comment: Comment = "\(step.method) \(step.path) \(step.body.prefix(120))"
      if let known = step.knownDifference {
        withKnownIssue(Comment(rawValue: known)) { #expect(ours[index] == theirs[index], comment) }
        // Outside the known difference: the HTTP status is the same.
        #expect(ours[index].firstMatch(of: status)?.output.1 == theirs[index].firstMatch(of: status)?.output.1, comment)
        if step.sameStatusOtherText {
          let code = #/^(\d+) .*"code":(\d+)/#
          #expect(ours[index].firstMatch(of: code)?.output.2 == theirs[index].firstMatch(of: code)?.output.2, comment)
          #expect(ours[index].firstMatch(of: code) != nil, comment)
        }
      } else {
        #expect(ours[index] == theirs[index], comment)
      }
    }
  }
}
