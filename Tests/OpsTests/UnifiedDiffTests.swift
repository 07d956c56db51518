import Foundation
import Ops
import Testing
import TestSupport

/// Dry-run diffs read like `diff -u`: the same hunks GNU diff prints.
@Suite struct UnifiedDiffTests {
  func gnuDiff(_ old: String, _ new: String) throws -> String {
    let dir = makeTemporaryDirectory("diff")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try old.write(toFile: "\(dir)/a", atomically: true, encoding: .utf8)
    try new.write(toFile: "\(dir)/b", atomically: true, encoding: .utf8)
    let out = try ChildProcess.run("/usr/bin/diff", ["-u", "--label", "old", "--label", "new", "\(dir)/a", "\(dir)/b"])
    return out.stdout
  }

  @Test func equalTextsHaveNoDiff() {
    #expect(UnifiedDiff.render(old: "a\nb\n", new: "a\nb\n", oldLabel: "old", newLabel: "new") == "")
  }

  @Test(arguments: [
    ("a\nb\nc\n", "a\nB\nc\n"),
    ("", "ETCD_NAME=\"x\"\nETCD_DATA_DIR=\"/d\"\n"),
    ("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n", "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nY\n15\n16\n"),
    ("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\nnew\n4\n5\n6\n7\n8\n"),
    ("keep\ndrop1\ndrop2\n", "keep\n"),
    ("a\nb\nc\nd\ne\nf\ng\n", "a\nc\nd\ne\nf\nx\ng\n"),
  ])
  func matchesGNUDiffUnifiedOutput(old: String, new: String) throws {
    #expect(UnifiedDiff.render(old: old, new: new, oldLabel: "old", newLabel: "new") == (try gnuDiff(old, new)))
  }
}
