import Foundation
import SSH
import Testing

/// Running commands over a real sshd: output streams, exit codes and signals, stdin, timeouts, serial use.
extension SSHServerSuites {
@Suite struct ExecTests {
  @Test func execReturnsStdoutStderrAndExitStatus() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      let result = try await client.run("echo out; echo err >&2; exit 3")
      await client.close()
      #expect(result.stdoutText == "out\n")
      #expect(result.stderrText == "err\n")
      #expect(result.exitStatus == 3)
      #expect(result.exitSignal == nil)
      #expect(!result.succeeded)
    }
  }

  @Test func execReportsTheSignalThatKilledTheCommand() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      let result = try await client.run("kill -KILL $$")
      await client.close()
      #expect(result.exitSignal == "KILL")
      #expect(result.exitStatus == -1)
    }
  }

  @Test func runCheckedThrowsWithTheCommandAndItsStderr() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      defer { Task { await client.close() } }
      let ok = try await client.runChecked("printf fine")
      #expect(ok.stdoutText == "fine")
      do {
        try await client.runChecked("echo disk on fire >&2; exit 2")
        Issue.record("runChecked should have thrown")
      } catch let error as SSHError {
        guard case .commandFailed(_, let command, let status, _, let stderr) = error else {
          Issue.record("unexpected error \(error)")
          return
        }
        #expect(command == "echo disk on fire >&2; exit 2")
        #expect(status == 2)
        #expect(stderr == "disk on fire\n")
        #expect(error.description.contains("exited with status 2"))
        #expect(error.description.contains("disk on fire"))
      }
    }
  }

  @Test func stdinIsFedToTheCommandInFull() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      var generator = SystemRandomNumberGenerator()
      let input = Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
      let echoed = try await client.run("cat", stdin: input)
      let counted = try await client.run("wc -c", stdin: Data("hello".utf8))
      await client.close()
      #expect(echoed.exitStatus == 0)
      #expect(echoed.stdout == input)
      #expect(counted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "5")
    }
  }

  @Test func largeOutputOnBothStreamsDoesNotDeadlock() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      let result = try await client.run("head -c 4000000 /dev/zero; head -c 3000000 /dev/zero >&2; echo done >&2")
      await client.close()
      #expect(result.stdout.count == 4_000_000)
      #expect(result.stderr.count == 3_000_005)
      #expect(result.exitStatus == 0)
    }
  }

  @Test func commandTimeoutStopsTheCommandAndKeepsTheSessionUsable() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      let shellPIDFile = bed.directory + "/shell.pid", sleepPIDFile = bed.directory + "/sleep.pid"
      let command = "echo $$ > \(shellPIDFile); sleep 20 & echo $! > \(sleepPIDFile); wait"
      let started = ContinuousClock.now
      do {
        _ = try await client.run(command, timeout: .milliseconds(1500))
        Issue.record("the command should have timed out")
      } catch let error as SSHError {
        #expect(error == .commandTimedOut(host: "127.0.0.1", command: command, seconds: 1.5))
        #expect(error.description.contains("did not finish within 1.5 s"))
      }
      // Well before the command's own 20 s (the margin absorbs a loaded 2-core machine).
      #expect(ContinuousClock.now - started < .seconds(10))
      let after = try await client.run("echo still here")
      #expect(after.stdoutText == "still here\n")
      await client.close()
      // The command's process group was terminated, not left running.
      for file in [shellPIDFile, sleepPIDFile] {
        let text = try #require(await contents(of: file, within: .seconds(3)), "the command never started")
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await processEnds(pid, within: .seconds(5)), "process \(pid) from \(file) still runs")
      }
    }
  }

  /// The file's text once it exists (and is non-empty), or nil after `limit`.
  private func contents(of path: String, within limit: Duration) async -> String? {
    let deadline = ContinuousClock.now + limit
    repeat {
      if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { return text }
      try? await Task.sleep(for: .milliseconds(50))
    } while ContinuousClock.now < deadline
    return nil
  }

  /// Whether `pid` is gone (or a zombie) within `limit`.
  private func processEnds(_ pid: Int32, within limit: Duration) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
      if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
      try? await Task.sleep(for: .milliseconds(50))
    }
    return false
  }

  @Test func concurrentCallsOnOneClientAreSerialisedSafely() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      let outputs = try await withThrowingTaskGroup(of: String.self) { group in
        for index in 0..<12 {
          group.addTask { try await client.run("echo \(index)").stdoutText }
        }
        var collected: [String] = []
        for try await output in group { collected.append(output) }
        return collected
      }
      await client.close()
      #expect(Set(outputs) == Set((0..<12).map { "\($0)\n" }))
    }
  }

  @Test func callsAfterCloseFailClearly() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      await client.close()
      await #expect(throws: SSHError.closed(host: "127.0.0.1")) {
        _ = try await client.run("true")
      }
    }
  }
}
}
