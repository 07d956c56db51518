// A tiny data-driven scenario runner for Raft clusters.
//
// FORMAT (files Tests/RaftTests/Scenarios/*.txt):
//   - Lines starting with `#` are comments; blank lines separate blocks. Both are kept on rewrite.
//   - A line starting with `> ` is a command. The lines after it, up to the next blank, comment or command line,
//     are its expected output (a command with no output has none).
//   - Commands (node IDs are numbers):
//       cluster voters=1,2,3 [learners=4] [prevote] [checkquorum] [lease] [inflight=N] [maxmsg=N] [noforward]
//       campaign N | propose N TEXT | conf N addVoter|addLearner|remove ID | transfer N TARGET | read N CTX
//       tick N [COUNT] | tick-all [COUNT] | stabilize | trace on|off
//       isolate N | partition 1,2 3 | heal | add-node N | restart N | unreachable N PEER
//       compact N INDEX | status [N ...] | progress N | applied N | log N
//   - `stabilize` prints every delivered message (`from->to type term=... ...`) and read states, in order.
// The runner fails the test with a per-command diff when the output differs. Run with REWRITE_SCENARIOS=1 to write
// the actual output back into the file (then review the diff before committing).
import Foundation
import Raft

/// One parsed block of a scenario file.
struct ScenarioBlock {
  var comments: [String]
  var command: String
  var expected: [String]
}

enum ScenarioFile {
  static func parse(_ text: String) -> (blocks: [ScenarioBlock], trailing: [String]) {
    var blocks: [ScenarioBlock] = []
    var pendingComments: [String] = []
    var current: ScenarioBlock?
    var inOutput = false
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(raw)
      if line.hasPrefix("> ") {
        if let c = current { blocks.append(c) }
        current = ScenarioBlock(comments: pendingComments, command: String(line.dropFirst(2)), expected: [])
        pendingComments = []
        inOutput = true
      } else if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty {
        inOutput = false
        pendingComments.append(line)
      } else if inOutput {
        current!.expected.append(line)
      } else {
        pendingComments.append(line)
      }
    }
    if let c = current { blocks.append(c) }
    while pendingComments.last?.isEmpty == true { pendingComments.removeLast() }
    return (blocks, pendingComments)
  }

  /// Runs a scenario and returns per-command diffs, the command count, and the text with actual output.
  static func check(name: String, text: String) -> (diffs: [String], commandCount: Int, rewritten: String) {
    let (blocks, trailing) = parse(text)
    let interpreter = ScenarioInterpreter()
    var actualBlocks: [ScenarioBlock] = []
    var diffs: [String] = []
    for block in blocks {
      let actual = interpreter.run(block.command)
      if actual != block.expected {
        diffs.append((["\(name).txt: > \(block.command)"] + lineDiff(block.expected, actual)).joined(separator: "\n"))
      }
      var updated = block
      updated.expected = actual
      actualBlocks.append(updated)
    }
    return (diffs, blocks.count, render(actualBlocks, trailing: trailing))
  }

  /// A line diff (longest common subsequence): "  " common, "- " expected only, "+ " actual only.
  static func lineDiff(_ a: [String], _ b: [String]) -> [String] {
    var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
      for j in stride(from: b.count - 1, through: 0, by: -1) {
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
      }
    }
    var out: [String] = []
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      if i < a.count && j < b.count && a[i] == b[j] {
        out.append("  " + a[i]); i += 1; j += 1
      } else if j < b.count && (i == a.count || lcs[i][j + 1] >= lcs[i + 1][j]) {
        out.append("+ " + b[j]); j += 1
      } else {
        out.append("- " + a[i]); i += 1
      }
    }
    return out
  }

  static func render(_ blocks: [ScenarioBlock], trailing: [String]) -> String {
    var lines: [String] = []
    for b in blocks {
      lines.append(contentsOf: b.comments)
      lines.append("> " + b.command)
      lines.append(contentsOf: b.expected)
    }
    lines.append(contentsOf: trailing)
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Executes scenario commands against a TestCluster.
final class ScenarioInterpreter {
  var cluster: TestCluster?
  var trace = true

  func run(_ command: String) -> [String] {
    let words = command.split(separator: " ").map(String.init)
    guard let verb = words.first else { return [] }
    let args = Array(words.dropFirst())
    func num(_ i: Int) -> UInt64 { UInt64(args[i])! }
    if verb == "cluster" { return makeCluster(args) }
    guard let c = cluster else { return ["error: no cluster; start with `cluster voters=...`"] }
    switch verb {
    case "campaign":
      do { try c.with(num(0)) { try $0.campaign() } } catch { return ["error: \(error)"] }
    case "propose":
      do { try c.propose(num(0), args[1]) } catch { return ["dropped: \(error)"] }
    case "conf":
      let type: ConfChangeType
      switch args[1] {
      case "addVoter": type = .addVoter
      case "addLearner": type = .addLearner
      default: type = .removeNode
      }
      do { try c.with(num(0)) { try $0.proposeConfChange(ConfChange(type: type, nodeID: num(2))) } } catch {
        return ["dropped: \(error)"]
      }
    case "transfer":
      c.with(num(0)) { $0.transferLeader(to: num(1)) }
    case "read":
      c.with(num(0)) { $0.readIndex(context: Array(args[1].utf8)) }
    case "tick":
      c.tick(num(0), times: args.count > 1 ? Int(args[1])! : 1)
    case "tick-all":
      c.tickAll(times: args.isEmpty ? 1 : Int(args[0])!)
    case "trace":
      trace = args.first != "off"
    case "stabilize":
      c.trace = []
      c.traceMessages = trace
      c.stabilize()
      c.traceMessages = false
      return c.trace
    case "isolate":
      c.isolate(num(0))
    case "partition":
      let a = args[0].split(separator: ",").map { UInt64($0)! }
      let b = args[1].split(separator: ",").map { UInt64($0)! }
      c.partition(a, b)
    case "heal":
      c.heal()
    case "add-node":
      c.addNode(num(0))
    case "restart":
      c.restart(num(0))
    case "unreachable":
      c.with(num(0)) { $0.reportUnreachable(num(1)) }
    case "compact":
      do { try c.compact(num(0), upTo: num(1)) } catch { return ["error: \(error)"] }
    case "status":
      let ids = args.isEmpty ? c.ids : args.map { UInt64($0)! }
      return ids.map { id in
        let s = c.node(id).status
        return "\(id): \(s.role) term=\(s.term) lead=\(s.lead) commit=\(s.commit) applied=\(s.applied) last=\(s.lastIndex)"
      }
    case "progress":
      let s = c.node(num(0)).status
      if s.progress.isEmpty { return ["\(num(0)) is not the leader"] }
      return s.progress.keys.sorted().map { id in
        let p = s.progress[id]!
        var line = "\(id): \(p.state) match=\(p.match) next=\(p.next)"
        if p.isLearner { line += " learner" }
        if p.isPaused { line += " paused" }
        if p.inflight > 0 { line += " inflight=\(p.inflight)" }
        if p.pendingSnapshot > 0 { line += " pendingSnapshot=\(p.pendingSnapshot)" }
        return line
      }
    case "applied":
      return ["\(num(0)): " + c.appliedData(num(0)).joined(separator: " ")]
    case "log":
      let st = c.storages[num(0)]!
      let ents = (try? st.entries(from: st.firstIndex(), to: st.lastIndex() + 1, maxSize: .max)) ?? []
      return ["\(num(0)): first=\(st.firstIndex()) " + ents.map { "\($0.term)/\($0.index)" }.joined(separator: " ")]
    default:
      return ["error: unknown command \(verb)"]
    }
    return []
  }

  private func makeCluster(_ args: [String]) -> [String] {
    var voters: [NodeID] = []
    var learners: [NodeID] = []
    var options: [String: String] = [:]
    for a in args {
      let kv = a.split(separator: "=", maxSplits: 1).map(String.init)
      options[kv[0]] = kv.count > 1 ? kv[1] : ""
    }
    voters = options["voters"]?.split(separator: ",").map { UInt64($0)! } ?? []
    learners = options["learners"]?.split(separator: ",").map { UInt64($0)! } ?? []
    let opts = options
    cluster = TestCluster(voters: voters, learners: learners) { config in
      config.preVote = opts["prevote"] != nil
      config.checkQuorum = opts["checkquorum"] != nil || opts["lease"] != nil
      if opts["lease"] != nil { config.readOnlyOption = .leaseBased }
      if let n = opts["inflight"] { config.maxInflightMsgs = Int(n)! }
      if let n = opts["maxmsg"] { config.maxSizePerMsg = UInt64(n)! }
      config.disableProposalForwarding = opts["noforward"] != nil
    }
    return []
  }
}
