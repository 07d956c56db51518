import BuildInfo
import Foundation
import Testing
import TestSupport

/// Every executable answers --version and --help like a well-behaved CLI: exit 0, text on stdout.
@Suite struct ExecutableTests {
  @Test func serverPrintsVersionInEtcdLayout() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcd"), ["--version"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("swetcd Version: \(BuildInfo.version)\n"))
    #expect(out.stdout.contains("API Version: 3.4\n"))
  }

  @Test func serverAcceptsGoStyleSingleDashVersionFlag() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcd"), ["-version"])
    #expect(out.status == 0)
    #expect(out.stdout.hasPrefix("swetcd Version: "))
  }

  @Test func serverHelpShowsUsage() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcd"), ["--help"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("swetcd --version"))
  }

  @Test func serverWithoutServingSupportSaysSoAndFails() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcd"), ["--name", "infra0"])
    #expect(out.status == 1)
    #expect(out.stderr.contains("not built yet"))
  }

  @Test(arguments: ["swetcdctl", "swetcd-ops", "swetcd-bench"])
  func clientToolsPrintVersion(tool: String) throws {
    let out = try ChildProcess.run(ChildProcess.product(tool), ["--version"])
    #expect(out.status == 0)
    #expect(out.stdout.contains(BuildInfo.version))
  }

  @Test(arguments: ["swetcdctl", "swetcd-ops", "swetcd-bench"])
  func clientToolsPrintHelp(tool: String) throws {
    let out = try ChildProcess.run(ChildProcess.product(tool), ["--help"])
    #expect(out.status == 0)
    #expect(out.stdout.contains("USAGE: \(tool)"))
  }

  @Test func ctlVersionCommandMatchesEtcdctlLayout() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcdctl"), ["version"])
    #expect(out.status == 0)
    #expect(out.stdout == "swetcdctl version: \(BuildInfo.version)\nAPI version: 3.4\n")
  }

  @Test func unknownOpsCommandIsAUsageError() throws {
    let out = try ChildProcess.run(ChildProcess.product("swetcd-ops"), ["frobnicate"])
    #expect(out.status != 0)
    #expect(out.stderr.contains("frobnicate"))
  }
}
