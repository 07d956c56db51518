import Foundation
import SSH
import TestSupport
import Testing

/// Sudo modes. Tests run as root, and root is never asked for a sudo password, so the password dialogue is
/// exercised with a stand-in `sudo` (first on the session's PATH via sshd's SetEnv) that speaks sudo's
/// `-S -p <prompt>` / `-n` protocol; real sudo, when installed, covers the no-prompt path and root uploads.
extension SSHServerSuites {
@Suite struct SudoTests {
  /// A `sudo` stand-in: prompts on stderr with the `-p` text, reads one line, accepts `password`, re-prompts
  /// after "Sorry, try again." like sudo, and with `-n` fails with sudo's message.
  private static func fakeSudoOptions(in folder: String, password: String) throws -> LoopbackSSHD.Options {
    let bin = folder + "/fakebin"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    let script = """
      #!/bin/sh
      prompt=""; noninteractive=0
      while [ $# -gt 0 ]; do
        case "$1" in
          -S) shift ;;
          -n) noninteractive=1; shift ;;
          -p) prompt="$2"; shift 2 ;;
          --) shift; break ;;
          *) break ;;
        esac
      done
      if [ $noninteractive = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
      tries=0
      while [ $tries -lt 3 ]; do
        printf '%s' "$prompt" >&2
        IFS= read -r answer || { echo "sudo: no password was provided" >&2; exit 1; }
        if [ "$answer" = '\(password)' ]; then exec "$@"; fi
        echo "Sorry, try again." >&2
        tries=$((tries + 1))
      done
      echo "sudo: 3 incorrect password attempts" >&2
      exit 1

      """
    try script.write(toFile: bin + "/sudo", atomically: true, encoding: .utf8)
    chmod(bin + "/sudo", 0o755)
    return LoopbackSSHD.Options(extraConfig: "SetEnv PATH=\(bin):/usr/bin:/bin")
  }

  private static func withFakeSudoBed(password: String, _ body: (SSHTestBed) async throws -> Void) async throws {
    let folder = makeTemporaryDirectory("swetcd-fakesudo")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let options = try fakeSudoOptions(in: folder, password: password)
    try await withTestBed(options: options, body)
  }

  @Test func sudoPasswordIsSentOnlyWhenPromptedAndStdinReachesTheCommand() async throws {
    try await Self.withFakeSudoBed(password: "s3cret") { bed in
      let client = try await SSHClient.connect(bed.target(sudo: .password("s3cret")))
      // The stand-in sudo really was used, and the command got the caller's stdin, not the password.
      let which = try await client.run("command -v sudo", sudo: false)
      #expect(which.stdoutText.contains("fakebin/sudo"))
      let result = try await client.run("cat; echo done >&2", stdin: Data("payload".utf8))
      #expect(result.stdoutText == "payload")
      #expect(result.stderrText == "done\n")
      #expect(!result.stderrText.contains("SWETCD_SUDO"))
      #expect(result.exitStatus == 0)
      await client.close()
    }
  }

  @Test func wrongSudoPasswordIsReportedAsRejected() async throws {
    try await Self.withFakeSudoBed(password: "right") { bed in
      let client = try await SSHClient.connect(bed.target(sudo: .password("wrong")))
      do {
        _ = try await client.run("echo should not run")
        Issue.record("a wrong sudo password must fail")
      } catch let error as SSHError {
        #expect(error == .sudoPasswordRejected(host: "127.0.0.1", user: "root"))
        #expect(!error.description.contains("wrong"))
      }
      // The session survives for the next command.
      #expect(try await client.run("echo fine", sudo: false).stdoutText == "fine\n")
      await client.close()
    }
  }

  @Test func passwordlessModeReportsThatSudoWantsAPassword() async throws {
    try await Self.withFakeSudoBed(password: "right") { bed in
      let client = try await SSHClient.connect(bed.target(sudo: .passwordless))
      await #expect(throws: SSHError.sudoPasswordRequired(host: "127.0.0.1", user: "root")) {
        _ = try await client.run("true")
      }
      await client.close()
    }
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sudo"), "needs sudo installed"))
  func realSudoRunsAsRootAndNeverFeedsThePasswordToTheCommand() async throws {
    try await withTestBed { bed in
      // Root needs no sudo password, so sudo never prompts: the password must not reach the command's stdin.
      let client = try await SSHClient.connect(bed.target(sudo: .password("never-sent")))
      let result = try await client.run("id -u; cat", stdin: Data("only this".utf8))
      #expect(result.stdoutText == "0\nonly this")
      let passwordless = try await SSHClient.connect(bed.target(sudo: .passwordless))
      #expect(try await passwordless.runChecked("id -un").stdoutText == "root\n")
      await client.close()
      await passwordless.close()
    }
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sudo"), "needs sudo installed"))
  func uploadThroughSudoInstallsTheFileAndRemovesTheStagingCopy() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target(sudo: .passwordless))
      let home = try await client.run("printf %s \"$HOME\"", sudo: false).stdoutText
      let path = bed.directory + "/installed.conf"
      try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
      let payload = Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
      try await client.upload(payload, to: path, mode: 0o600, owner: "root:root")
      #expect(try await client.readFile(path) == payload)
      await client.close()
      #expect(FileManager.default.contents(atPath: path) == payload)
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect((attributes[.posixPermissions] as? Int) == 0o600)
      let staged = try FileManager.default.contentsOfDirectory(atPath: home).filter { $0.hasPrefix(".swetcd-upload-") }
      #expect(staged.isEmpty)
      #expect(try FileManager.default.contentsOfDirectory(atPath: bed.directory).filter { $0.contains("swetcd-tmp") }.isEmpty)
    }
  }
}
}
