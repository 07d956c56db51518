/// Line-based unified diff (as `diff -u` prints it), for showing what a deploy would change in a file.
public enum UnifiedDiff {
  enum Edit: Equatable {
    case same(String), removed(String), added(String)
  }

  /// The diff of `old` to `new` with `context` lines around each change; empty when they are equal.
  public static func render(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
    let a = lines(old), b = lines(new)
    guard a != b else { return "" }
    let edits = diff(a, b)
    var output = ["--- \(oldLabel)", "+++ \(newLabel)"]
    // Group edits into hunks: runs of changes joined when fewer than 2*context unchanged lines lie between.
    var index = 0
    var oldLine = 1, newLine = 1
    var positions: [(old: Int, new: Int)] = []
    for edit in edits {
      positions.append((oldLine, newLine))
      switch edit {
      case .same: oldLine += 1; newLine += 1
      case .removed: oldLine += 1
      case .added: newLine += 1
      }
    }
    while index < edits.count {
      guard let firstChange = edits[index...].firstIndex(where: { if case .same = $0 { return false } else { return true } }) else { break }
      let start = max(index, firstChange - context)
      var end = firstChange
      var unchanged = 0
      var cursor = firstChange
      while cursor < edits.count {
        if case .same = edits[cursor] {
          unchanged += 1
          if unchanged > 2 * context { break }
        } else {
          unchanged = 0
          end = cursor
        }
        cursor += 1
      }
      let stop = min(edits.count, end + context + 1)
      let hunk = edits[start..<stop]
      let oldCount = hunk.filter { if case .added = $0 { return false } else { return true } }.count
      let newCount = hunk.filter { if case .removed = $0 { return false } else { return true } }.count
      let oldStart = oldCount == 0 ? positions[start].old - 1 : positions[start].old
      let newStart = newCount == 0 ? positions[start].new - 1 : positions[start].new
      output.append("@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@")
      for edit in hunk {
        switch edit {
        case .same(let line): output.append(" " + line)
        case .removed(let line): output.append("-" + line)
        case .added(let line): output.append("+" + line)
        }
      }
      index = stop
    }
    return output.joined(separator: "\n") + "\n"
  }

  /// `start,count`, or just `start` for a one-line range, as diff -u writes them.
  static func range(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

  static func lines(_ text: String) -> [String] {
    var result = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if result.last == "" { result.removeLast() }
    return result
  }

  /// Shortest edit script by longest common subsequence (config files are small).
  static func diff(_ a: [String], _ b: [String]) -> [Edit] {
    let n = a.count, m = b.count
    var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
      }
    }
    var edits: [Edit] = []
    var i = 0, j = 0
    while i < n || j < m {
      if i < n, j < m, a[i] == b[j] {
        edits.append(.same(a[i])); i += 1; j += 1
      } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
        // Removals before additions within a change, as diff prints them.
        edits.append(.removed(a[i])); i += 1
      } else {
        edits.append(.added(b[j])); j += 1
      }
    }
    return edits
  }
}
