// swetcd: the etcd-compatible server. etcd parses Go-style flags (-flag and --flag alike), so the runner reads the
// arguments itself rather than through ArgumentParser.
import EtcdAPI
import Foundation

let status = await ServerRunner.main(
  arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
