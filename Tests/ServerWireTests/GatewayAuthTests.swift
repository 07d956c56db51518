import EtcdServer
import Foundation
import Testing
import TestSupport

/// Auth through the JSON gateway as the seeds' curl examples do it: set up root, enable auth, authenticate for a
/// token, and send it in the Authorization header.
@Suite struct GatewayAuthTests {
  @Test func aTokenFromAuthenticateInTheAuthorizationHeaderIsTheUserAndNoTokenIsRefused() async throws {
    try await GatewayFixture.withGateway { base in
      for (path, body) in [
        ("/v3/auth/user/add", #"{"name":"root","password":"pw"}"#),
        ("/v3/auth/role/add", #"{"name":"root"}"#),
        ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#),
        ("/v3/auth/enable", "{}"),
      ] {
        let answer = try await gatewayPost(base, path, body)
        #expect(answer.status == 200, "\(path): \(answer.body)")
      }
      let wrong = try await gatewayPost(base, "/v3/auth/authenticate", #"{"name":"root","password":"nope"}"#)
      #expect(wrong.status == 400, "\(wrong.body)")
      #expect(try object(wrong)["error"] as? String == "etcdserver: authentication failed, invalid user ID or password")
      let authenticated = try await gatewayPost(base, "/v3/auth/authenticate", #"{"name":"root","password":"pw"}"#)
      let token = try #require(try object(authenticated)["token"] as? String, "\(authenticated.body)")
      let put = #"{"key":"\#(b64("k"))","value":"\#(b64("v"))"}"#
      let anonymous = try await gatewayPost(base, "/v3/kv/put", put)
      #expect(anonymous.status == 400, "\(anonymous.body)")
      #expect(try object(anonymous)["error"] as? String == "etcdserver: user name is empty")
      let forged = try await gatewayPost(base, "/v3/kv/put", put, headers: ["Authorization: forged.1"])
      #expect(try object(forged)["error"] as? String == "etcdserver: invalid auth token", "\(forged.body)")
      let asRoot = try await gatewayPost(base, "/v3/kv/put", put, headers: ["Authorization: \(token)"])
      #expect(asRoot.status == 200, "\(asRoot.body)")
      let read = try await gatewayPost(
        base, "/v3/kv/range", #"{"key":"\#(b64("k"))"}"#, headers: ["Authorization: \(token)"])
      let kvs = try #require(try object(read)["kvs"] as? [JSON], "\(read.body)")
      #expect(kvs.first?["value"] as? String == b64("v"))
      let users = try await gatewayPost(base, "/v3/auth/user/list", "{}", headers: ["Authorization: \(token)"])
      #expect(try object(users)["users"] as? [String] == ["root"], "\(users.body)")
      let disable = try await gatewayPost(base, "/v3/auth/disable", "{}", headers: ["Authorization: \(token)"])
      #expect(disable.status == 200, "\(disable.body)")
      #expect(try await gatewayPost(base, "/v3/kv/put", put).status == 200)
    }
  }
}
