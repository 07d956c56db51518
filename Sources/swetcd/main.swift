import BuildInfo
import Foundation

// swetcd: the etcd-compatible server. etcd parses Go-style flags (-flag and --flag alike), so this entry point
// reads its arguments itself rather than through ArgumentParser.

let versionText = """
  swetcd Version: \(BuildInfo.version)
  etcd Compatible Version: \(BuildInfo.etcdCompatibleVersion)
  API Version: \(BuildInfo.etcdAPIVersion)
  OS/Arch: \(BuildInfo.platform)
  """

let usageText = """
  Usage:

    swetcd [flags]
      Start a swetcd server (etcd 3.4-compatible flags and ETCD_* environment variables).

    swetcd --version
      Show the version of swetcd.

    swetcd -h | --help
      Show the help information about swetcd.

  This build does not serve yet: the server (Raft, WAL, MVCC, the etcd v3 API) is not built yet.
  """

func writeError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "--version", "-version":
  print(versionText)
case "-h", "--help", "-help":
  print(usageText)
default:
  writeError("swetcd: the server is not built yet; this build answers only --version and --help")
  exit(1)
}
