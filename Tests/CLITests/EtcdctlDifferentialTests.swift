import Foundation
import Testing
import TestSupport

/// The real etcdctl 3.4 against the real `swetcd` and the real etcd 3.4.23, side by side: every command's output
/// (JSON parsed, headers' IDs and raft_term normalised; revisions compared as they are) and exit status must match.
/// Serialized: both servers must see the same commands in the same order for their revisions to agree.
@Suite(.serialized, .enabled(if: Etcdctl.isInstalled, "needs the real etcd and etcdctl 3.4.23"), .serverPair())
struct EtcdctlDifferentialTests {
  var pair: ServerPair { get throws { try ServerPair.get() } }

  /// The current revision, which must be the same on both servers.
  static func revision(_ pair: ServerPair) async throws -> Int64 {
    let ours = try await pair.ours.raw(["get", "revision-probe", "-w", "json"])
    let theirs = try await pair.theirs.raw(["get", "revision-probe", "-w", "json"])
    let mine = Side.number("revision", in: ours.stdout), real = Side.number("revision", in: theirs.stdout)
    #expect(mine == real, "revisions differ: swetcd \(ours.stdout) etcd \(theirs.stdout)")
    return Int64(try #require(real))
  }

  @Test func putAndGetWithEveryRangeFlagPrintTheSame() async throws {
    let pair = try pair
    for (key, value) in [("kv/a", "1"), ("kv/b", "2"), ("kv/c", "3"), ("kv/a", "4"), ("kv/d", "")] {
      try await pair.expectSame(["put", key, value])
    }
    let start = try await Self.revision(pair)
    try await pair.expectSame(["put", "kv/b", "22", "--prev-kv", "-w", "json"])
    try await pair.expectSame(["put", "kv/b", "23", "--prev-kv"])
    try await pair.expectSame(["put", "kv/missing", "--ignore-value"])
    let variants: [[String]] = [
      ["get", "kv/a"], ["get", "kv/", "--prefix"], ["get", "kv/b", "--from-key"], ["get", "kv/", "--prefix", "--limit", "2"],
      ["get", "kv/", "--prefix", "--sort-by=VALUE", "--order=DESCEND"], ["get", "kv/", "--prefix", "--sort-by=CREATE"],
      ["get", "kv/", "--prefix", "--sort-by=MODIFY", "--order=DESCEND"], ["get", "kv/", "--prefix", "--sort-by=VERSION"],
      ["get", "kv/", "--prefix", "--sort-by=KEY", "--order=DESCEND"], ["get", "kv/b", "--rev", "\(start)"],
      ["get", "kv/", "--prefix", "--keys-only"], ["get", "kv/a", "--print-value-only"], ["get", "kv/a", "kv/c"],
      ["get", "kv/zzz"], ["get", "kv/", "--prefix", "--consistency=s"], ["get", "kv/", "--prefix", "--hex"],
    ]
    for variant in variants {
      try await pair.expectSame(variant)
      try await pair.expectSame(variant + ["-w", "json"])
    }
    try await pair.expectSame(["get", "kv/", "--prefix", "-w", "table"])
    try await pair.expectSame(["get", "kv/", "--prefix", "-w", "fields"])
  }

  @Test func deleteWithPrefixAndPrevKVPrintsTheSame() async throws {
    let pair = try pair
    for key in ["del/a", "del/b", "del/c", "del/d"] { try await pair.expectSame(["put", key, "v-\(key)"]) }
    try await pair.expectSame(["del", "del/a", "--prev-kv"])
    try await pair.expectSame(["del", "del/b", "--prev-kv", "-w", "json"])
    try await pair.expectSame(["del", "del/", "--prefix", "-w", "json"])
    try await pair.expectSame(["del", "del/", "--prefix"])
    try await pair.expectSame(["del", "del/nothing"])
    try await pair.expectSame(["put", "del/x", "1"])
    try await pair.expectSame(["del", "del/", "del/y", "--prev-kv"])
  }

  @Test func interactiveTxnPrintsTheSame() async throws {
    let pair = try pair
    try await pair.expectSame(["put", "txn/k", "v1"])
    let succeeds = "value(\"txn/k\") = \"v1\"\n\nput txn/k v2\nget txn/k\n\nput txn/other no\n\n"
    try await pair.expectSame(["txn", "-i"], input: succeeds)
    let fails = "value(\"txn/k\") = \"v1\"\nmod(\"txn/k\") > \"0\"\n\nput txn/k v3\n\nget txn/k\ndel txn/other\n\n"
    try await pair.expectSame(["txn", "-i", "-w", "json"], input: fails)
    let creates = "create(\"txn/new\") = \"0\"\nversion(\"txn/k\") > \"1\"\n\nput txn/new 1\ndel txn/k --prev-kv\n\n\n"
    try await pair.expectSame(["txn", "-i", "-w", "json"], input: creates)
    try await pair.expectSame(["txn", "-i"], input: "lease(\"txn/new\") = \"0\"\n\nget txn/ --prefix\n\n\n")
  }

  @Test func compactedAndFutureRevisionsFailTheSame() async throws {
    let pair = try pair
    try await pair.expectSame(["put", "compact/a", "1"])
    try await pair.expectSame(["put", "compact/a", "2"])
    let revision = try await Self.revision(pair)
    try await pair.expectSame(["compaction", "\(revision - 1)"])
    let compacted = try await pair.expectSame(["get", "compact/a", "--rev", "\(revision - 2)"])
    #expect(compacted.stderr.contains("etcdserver: mvcc: required revision has been compacted"), "\(compacted)")
    let again = try await pair.expectSame(["compaction", "\(revision - 2)"])
    #expect(again.status != 0)
    let future = try await pair.expectSame(["get", "compact/a", "--rev", "\(revision + 100)"])
    #expect(future.stderr.contains("etcdserver: mvcc: required revision is a future revision"), "\(future)")
    try await pair.expectSame(["compaction", "\(revision + 100)"])
    try await pair.expectSame(["compaction", "\(revision)", "--physical", "-w", "json"])
    try await pair.expectSame(["get", "compact/a", "-w", "json"])
    try await pair.expectSame(["defrag"])
    try await pair.expectSame(["defrag", "-w", "json"])
  }

  @Test func leaseCommandsPrintTheSame() async throws {
    let pair = try pair
    let unknown = try await pair.expectSame(["lease", "revoke", "1234abcd"])
    #expect(unknown.stderr.contains("etcdserver: requested lease not found"), "\(unknown)")
    try await pair.expectSame(["lease", "timetolive", "1234abcd"])
    try await pair.expectSame(["lease", "timetolive", "1234abcd", "-w", "json"])
    try await pair.expectSame(["lease", "keep-alive", "--once", "1234abcd"])

    // Lease IDs are the server's to choose: learn each side's and compare through placeholders.
    var ours = pair.ours, theirs = pair.theirs
    for index in 1...2 {
      let mine = try await ours.raw(["lease", "grant", "300", "-w", "json"])
      let real = try await theirs.raw(["lease", "grant", "300", "-w", "json"])
      ours.normaliser.identify(try #require(Side.number("ID", in: mine.stdout), "\(mine)"), as: "lease\(index)")
      theirs.normaliser.identify(try #require(Side.number("ID", in: real.stdout), "\(real)"), as: "lease\(index)")
    }
    let sides = (ours, theirs)
    func lease(_ index: Int) -> (Side) -> String { { $0.normaliser.hex(of: "lease\(index)") } }
    for key in ["lease/a", "lease/b"] {
      try await pair.expectSame(sides: sides) { ["put", key, "v", "--lease=\(lease(1)($0))"] }
    }
    try await pair.expectSame(["get", "lease/", "--prefix", "-w", "json"], sides: sides)
    for format in ["simple", "json"] {
      // etcd lists attached keys in Go map order: compare them as sets; the remaining TTL may tick in between.
      try await pair.expectSame(sides: sides, ignoring: ["ttl"], unordered: true) {
        ["lease", "timetolive", lease(1)($0), "--keys", "-w", format]
      }
      try await pair.expectSame(sides: sides) { ["lease", "keep-alive", "--once", lease(2)($0), "-w", format] }
    }
    // Other tests' locks and elections hold leases too: check that both list this test's two.
    for side in [ours, theirs] {
      let listed = try await side.run(["lease", "list", "-w", "json"])
      #expect(listed.stdout.contains("\"<lease1>\"") && listed.stdout.contains("\"<lease2>\""), "\(side.name): \(listed)")
    }
    for index in 1...2 { try await pair.expectSame(sides: sides) { ["lease", "revoke", lease(index)($0)] } }
    try await pair.expectSame(["get", "lease/", "--prefix", "-w", "json"], sides: sides)
    try await pair.expectSame(sides: sides) { ["lease", "timetolive", lease(1)($0), "-w", "json"] }
    try await pair.expectSame(sides: sides) { ["lease", "revoke", lease(2)($0)] }
  }
}
