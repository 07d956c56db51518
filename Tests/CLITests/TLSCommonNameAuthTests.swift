import Foundation
import Testing
import TestSupport

/// With --client-cert-auth and auth enabled, the client certificate's common name is the user when the request
/// carries no token, as etcd 3.4 does; a token (etcdctl --user) takes precedence. Compared step by step with the
/// real etcd 3.4.23 (the suite's client certificate has CN "root").
@Suite(.serialized, .enabled(if: Etcdctl.isInstalled, "needs the real etcd and etcdctl 3.4.23"), .serverPair(tls: true))
struct TLSCommonNameAuthTests {
  @Test func theCertificateCommonNameActsAsTheUserOnceAuthIsOn() async throws {
    let pair = try ServerPair.get()
    try await pair.expectSame(["user", "add", "root:rootpw"])
    try await pair.expectSame(["role", "add", "root"])
    try await pair.expectSame(["user", "grant-role", "root", "root"])
    try await pair.expectSame(["user", "add", "bob:bobpw"])
    try await pair.expectSame(["auth", "enable"])
    // No --user: the certificate's CN "root" is the user.
    try await pair.expectSame(["put", "cn/k", "v"])
    try await pair.expectSame(["get", "cn/k", "-w", "json"])
    try await pair.expectSame(["user", "list"])
    // A token wins over the certificate: bob has no role and is refused.
    try await pair.expectSame(["--user", "bob:bobpw", "get", "cn/k"])
    try await pair.expectSame(["--user", "bob:bobpw", "put", "cn/k", "w"])
    try await pair.expectSame(["auth", "disable"])
    try await pair.expectSame(["--user", "bob:bobpw", "get", "cn/k", "--print-value-only"])
  }
}
