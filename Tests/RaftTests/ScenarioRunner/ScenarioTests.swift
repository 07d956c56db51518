// Runs every scenario file under Tests/RaftTests/Scenarios (see ScenarioRunner.swift for the format).
import Foundation
import Testing

@Suite struct ScenarioTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Scenarios")

  static let files: [String] = [
    "prevote", "checkquorum", "learners", "leader_transfer", "probe_replicate", "snapshot_catchup", "read_index",
  ]

  /// Each scenario's recorded output matches what the Raft nodes do now.
  @Test(arguments: files)
  func scenarioMatchesRecordedOutput(name: String) throws {
    let url = Self.directory.appendingPathComponent(name + ".txt")
    let text = try String(contentsOf: url, encoding: .utf8)
    let result = ScenarioFile.check(name: name, text: text)
    #expect(result.commandCount > 0, "scenario \(name) has no commands")
    if ProcessInfo.processInfo.environment["REWRITE_SCENARIOS"] == "1" {
      try result.rewritten.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let report = "scenario output differs (rerun with REWRITE_SCENARIOS=1 to accept):\n"
      + result.diffs.joined(separator: "\n")
    #expect(result.diffs.isEmpty, Comment(rawValue: report))
  }

  /// The runner reports a wrong expectation as a line diff naming the command, and rewriting fixes the file.
  @Test func runnerReportsDiffForWrongExpectation() {
    let text = """
      > cluster voters=1
      > campaign 1
      > status 1
      1: follower term=0 lead=0 commit=0 applied=0 last=0
      """
    let result = ScenarioFile.check(name: "inline", text: text)
    #expect(result.diffs.count == 1)
    let diff = result.diffs.first ?? ""
    #expect(diff.contains("> status 1"))
    #expect(diff.contains("- 1: follower term=0 lead=0 commit=0 applied=0 last=0"))
    #expect(diff.contains("+ 1: leader term=1 lead=1 commit=1 applied=0 last=1"))
    #expect(ScenarioFile.check(name: "inline", text: result.rewritten).diffs.isEmpty)
  }
}
