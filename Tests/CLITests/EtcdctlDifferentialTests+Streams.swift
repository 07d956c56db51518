import Foundation
import Testing
import TestSupport

/// Watches, elections, locks, maintenance and snapshots: the long-running and cluster-level etcdctl commands.
extension EtcdctlDifferentialTests {
  /// Starts the same long-running etcdctl on both sides, waits for `lines` lines of output on each (after
  /// `afterStart` ran the commands that produce them), stops both by PID and returns the normalised outputs.
  static func background(
    _ pair: ServerPair, _ arguments: [String], input: String? = nil, lines: Int, log: String,
    afterStart: () async throws -> Void = {}
  ) async throws -> (ours: String, theirs: String) {
    let mine = try pair.ours.start(arguments, log: log, input: input)
    let real = try pair.theirs.start(arguments, log: log, input: input)
    defer { mine.stop(); real.stop() }
    try await afterStart()
    let a = await mine.waitForLines(lines, within: 15), b = await real.waitForLines(lines, within: 15)
    mine.stop()
    real.stop()
    // Both must have printed what was waited for: two failed runs would otherwise compare equal.
    for (side, output) in [("swetcd", a), ("etcd", b)] {
      #expect(output.split(separator: "\n").count >= lines, "\(side) printed fewer than \(lines) lines:\n\(output)")
    }
    return (pair.ours.normaliser.normalise(a), pair.theirs.normaliser.normalise(b))
  }

  @Test func watchWithPrefixRevAndPrevKVPrintsTheSameEvents() async throws {
    let pair = try pair
    let start = try await Self.revision(pair) + 1
    for (key, value) in [("watch/a", "1"), ("watch/b", "2"), ("watch/a", "3")] {
      try await pair.expectSame(["put", key, value])
    }
    try await pair.expectSame(["del", "watch/b"])
    // Historical events from --rev: 4 events, 3 lines each in simple output (a DELETE has no value line: 2).
    let simple = try await Self.background(pair, ["watch", "watch/", "--prefix", "--rev=\(start)"], lines: 11,
                                           log: "watch-simple.log")
    #expect(simple.ours == simple.theirs, "swetcd:\n\(simple.ours)\netcd:\n\(simple.theirs)")
    #expect(simple.theirs.contains("DELETE\nwatch/b"), "\(simple.theirs)")
    let prev = try await Self.background(pair, ["watch", "watch/", "--prefix", "--rev=\(start)", "--prev-kv"],
                                         lines: 15, log: "watch-prev.log")
    #expect(prev.ours == prev.theirs, "swetcd:\n\(prev.ours)\netcd:\n\(prev.theirs)")
    let json = try await Self.background(pair, ["watch", "watch/", "--prefix", "--rev=\(start)", "--prev-kv", "-w",
                                                "json"], lines: 1, log: "watch-json.log")
    #expect(json.ours == json.theirs, "swetcd:\n\(json.ours)\netcd:\n\(json.theirs)")
    // A live watch: events written after it started.
    let now = try await Self.revision(pair) + 1
    let live = try await Self.background(pair, ["watch", "watch/live", "--rev=\(now)", "-w", "json"], lines: 2,
                                         log: "watch-live.log") {
      try await pair.expectSame(["put", "watch/live", "x"])
      try await pair.expectSame(["put", "watch/live", "y"])
    }
    #expect(live.ours == live.theirs, "swetcd:\n\(live.ours)\netcd:\n\(live.theirs)")
  }

  @Test func interactiveWatchPrintsTheSameEvents() async throws {
    let pair = try pair
    let start = try await Self.revision(pair) + 1
    try await pair.expectSame(["put", "iwatch/a", "1"])
    try await pair.expectSame(["put", "iwatch/b", "2"])
    let input = "watch iwatch/a --rev \(start)\nwatch --prefix iwatch/ --rev \(start) --prev-kv\n"
    let out = try await Self.background(pair, ["watch", "-i"], input: input, lines: 9, log: "watch-i.log")
    // Two independent watches print in whatever order their responses arrive: compare the lines as multisets.
    #expect(out.ours.split(separator: "\n").sorted() == out.theirs.split(separator: "\n").sorted(),
            "swetcd:\n\(out.ours)\netcd:\n\(out.theirs)")
    #expect(out.theirs.contains("iwatch/b\n2"), "\(out.theirs)")
  }

  @Test func maintenanceAndClusterCommandsPrintTheSame() async throws {
    let pair = try pair
    // The database size and the Raft index differ by design (SQLite pages; etcd logs two more entries at start-up:
    // docs/compatibility.md): JSON blanks them, the simple and table rows are compared without those columns.
    let (a, b) = try await pair.both(["endpoint", "status", "-w", "simple"])
    #expect(a.status == 0 && b.status == 0, "swetcd:\n\(a)\netcd:\n\(b)")
    #expect(Self.statusColumns(a.stdout, ",") == Self.statusColumns(b.stdout, ","), "swetcd:\n\(a)\netcd:\n\(b)")
    let (c, d) = try await pair.both(["endpoint", "status", "-w", "table"])
    #expect(c.status == 0 && d.status == 0, "swetcd:\n\(c)\netcd:\n\(d)")
    #expect(Self.statusColumns(c.stdout, "|") == Self.statusColumns(d.stdout, "|"), "swetcd:\n\(c)\netcd:\n\(d)")
    try await pair.expectSame(["endpoint", "status", "-w", "json"])
    for format in ["simple", "json", "table"] {
      try await pair.expectSame(["endpoint", "health", "-w", format])
      try await pair.expectSame(["member", "list", "-w", format])
      try await pair.expectSame(["alarm", "list", "-w", format])
      try await pair.expectSame(["alarm", "disarm", "-w", format])
    }
    // HashKV's value is a CRC over etcd's bbolt encoding, which swetcd does not reproduce (docs/compatibility.md):
    // the JSON answer is compared with the hash blanked.
    try await pair.expectSame(["endpoint", "hashkv", "-w", "json"])
  }

  @Test func snapshotSavePrintsTheSameAndBothFilesCarryTheirSHA256() async throws {
    let pair = try pair
    let mine = try await pair.ours.raw(["snapshot", "save", pair.ours.directory + "/snap.db"])
    let real = try await pair.theirs.raw(["snapshot", "save", pair.theirs.directory + "/snap.db"])
    #expect(pair.ours.normaliser.normalise(mine.stdout) == pair.theirs.normaliser.normalise(real.stdout),
            "swetcd:\n\(mine.stdout)\(mine.stderr)\netcd:\n\(real.stdout)\(real.stderr)")
    #expect(mine.status == 0 && real.status == 0, "swetcd: \(mine.stderr)\netcd: \(real.stderr)")
    #expect(real.stdout == "Snapshot saved at \(pair.theirs.directory)/snap.db\n")
    // etcdctl verified the stream's SHA-256 and kept it as the file's last 32 bytes: check that on both files.
    for (side, path) in [("swetcd", pair.ours.directory + "/snap.db"), ("etcd", pair.theirs.directory + "/snap.db")] {
      let check = try await ChildProcess.runDetached("/usr/bin/python3", [
        "-c", "import hashlib,sys; d=open(sys.argv[1],'rb').read(); "
          + "print(len(d) > 32 and hashlib.sha256(d[:-32]).digest() == d[-32:])", path,
      ])
      #expect(check.stdout == "True\n", "\(side): \(check)")
    }
    // `snapshot status` reads the file as a bbolt database; swetcd's is SQLite (docs/compatibility.md), so only
    // etcd's file is read back here.
    let status = try await Etcdctl.run(["snapshot", "status", pair.theirs.directory + "/snap.db", "-w", "json"])
    #expect(status.status == 0 && status.stdout.contains("\"revision\":"), "\(status)")
  }

  @Test func electionProclaimAndListenPrintTheSame() async throws {
    let pair = try pair
    let listened = try await Self.background(pair, ["elect", "-l", "diff-election"], lines: 2, log: "elect-l.log") {
      let ours = try pair.ours.start(["elect", "diff-election", "proposal-1"], log: "elect.log")
      let theirs = try pair.theirs.start(["elect", "diff-election", "proposal-1"], log: "elect.log")
      defer { ours.stop(); theirs.stop() }
      _ = await ours.waitForLines(2, within: 10)
      _ = await theirs.waitForLines(2, within: 10)
      let a = Self.withoutLeaseSuffix(ours.output), b = Self.withoutLeaseSuffix(theirs.output)
      #expect(a == b && b == "diff-election/<lease>\nproposal-1\n", "swetcd:\n\(a)\netcd:\n\(b)")
      await ours.interrupt()
      await theirs.interrupt()
    }
    let a = Self.withoutLeaseSuffix(listened.ours), b = Self.withoutLeaseSuffix(listened.theirs)
    #expect(a == b && b.hasPrefix("diff-election/<lease>\nproposal-1\n"), "swetcd:\n\(a)\netcd:\n\(b)")
  }

  @Test func lockRunsTheCommandAndReleasesTheSame() async throws {
    let pair = try pair
    try await pair.expectSame(["lock", "diff-lock", "echo", "locked"])
    let held = try await Self.background(pair, ["lock", "diff-lock"], lines: 1, log: "lock.log")
    #expect(Self.withoutLeaseSuffix(held.ours) == Self.withoutLeaseSuffix(held.theirs),
            "swetcd:\n\(held.ours)\netcd:\n\(held.theirs)")
    #expect(Self.withoutLeaseSuffix(held.theirs).hasPrefix("diff-lock/<lease>"), "\(held.theirs)")
    // The killed holder's lease still holds the lock until it expires; the key is there on both.
    try await pair.expectSame(["get", "diff-lock/", "--prefix", "--keys-only", "--limit=0", "-w", "json"],
                              ignoring: ["key", "lease", "create_revision", "mod_revision"])
  }

  /// The columns of `endpoint status` output other than DB SIZE, RAFT INDEX and RAFT APPLIED INDEX.
  static func statusColumns(_ text: String, _ separator: Character) -> [[String]] {
    text.split(separator: "\n").filter { !$0.hasPrefix("+") }.map { line in
      let cells = line.split(separator: separator, omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      return cells.enumerated().filter { ![3, 7, 8].contains($0.offset) }.map(\.element)
    }
  }

  /// Election and lock keys end in the holder's lease ID (server-chosen, like every lease ID).
  static func withoutLeaseSuffix(_ text: String) -> String {
    text.replacingOccurrences(of: "/[0-9a-f]{6,16}(\n|$)", with: "/<lease>$1", options: .regularExpression)
  }
}
