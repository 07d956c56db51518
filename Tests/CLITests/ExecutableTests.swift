import BuildInfo
import Foundation
import Testing
import TestSupport

/// Every executable answers --version and --help like a well-behaved CLI: exit 0, text on stdout.
@Suite struct ExecutableTests {
  @Test func serverPrintsVersionInEtcdLayout() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcd"), ["--version"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("swetcd Version: \(BuildInfo.version)\n"))
    #expect(out.stdout.contains("API Version: 3.4\n"))
  }

  @Test func serverAcceptsGoStyleSingleDashVersionFlag() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcd"), ["-version"])
    #expect(out.status == 0)
    #expect(out.stdout.hasPrefix("swetcd Version: "))
  }

  @Test func serverHelpShowsUsage() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcd"), ["--help"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("swetcd --version"))
  }

  @Test func serverRefusesAnUnknownFlagAsEtcdDoes() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcd"), ["--no-such-flag"])
    #expect(out.status == 2)
    #expect(out.stderr.hasPrefix("flag provided but not defined: -no-such-flag"), "\(out.stderr)")
  }

  @Test(arguments: ["swetcdctl", "swetcd-ops", "swetcd-bench"])
  func clientToolsPrintVersion(tool: String) async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product(tool), ["--version"])
    #expect(out.status == 0)
    #expect(out.stdout.contains(BuildInfo.version))
  }

  @Test(arguments: ["swetcdctl", "swetcd-ops", "swetcd-bench"])
  func clientToolsPrintHelp(tool: String) async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product(tool), ["--help"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("USAGE: \(tool)"))
  }

  @Test func ctlVersionCommandMatchesEtcdctlLayout() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcdctl"), ["version"])
    #expect(out.status == 0)
    #expect(out.stdout == "swetcdctl version: \(BuildInfo.version)\nAPI version: 3.4\n")
  }

  @Test func unknownOpsCommandIsAUsageError() async throws {
    let out = try await ChildProcess.runDetached(ChildProcess.product("swetcd-ops"), ["frobnicate"])
    #expect(out.status != 0)
    #expect(out.stderr.contains("frobnicate"))
  }
}
