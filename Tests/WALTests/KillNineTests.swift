import Foundation
import Raft
import Testing
import TestSupport

@testable import WAL

/// A real process appends with fsync and prints each acknowledged index; SIGKILL at an arbitrary moment must not
/// lose any of them.
@Suite struct KillNineTests {
  /// Starts `swetcd-bench wal-writer` on `dir`, waits for `acks` more acknowledgements, SIGKILLs it by PID and
  /// returns every index it printed.
  func writeAndKill(dir: String, log: String, acks: Int) throws -> [UInt64] {
    let child = try ChildProcess.startLogged(
      ChildProcess.product("swetcd-bench"),
      ["wal-writer", "--dir", dir, "--size", "300", "--batch", "3", "--segment-size", "65536"], logPath: log)
    let deadline = Date().addingTimeInterval(120)
    while child.process.isRunning, Date() < deadline, child.output.split(separator: "\n").count(where: { $0.hasPrefix("ack ") }) < acks {
      usleep(20_000)
    }
    kill(child.pid, SIGKILL)
    child.process.waitUntilExit()
    let printed = child.output.split(separator: "\n").compactMap { line -> UInt64? in
      line.hasPrefix("ack ") ? UInt64(line.dropFirst(4)) : nil
    }
    try #require(printed.count >= acks, "writer stopped early: \(child.output.suffix(500))")
    return printed
  }

  @Test func everyIndexAcknowledgedBeforeSIGKILLIsPresentAfterRestart() throws {
    let tmp = TempDir("kill9")
    defer { tmp.remove() }
    let dir = tmp.path + "/data"
    var acknowledged = try writeAndKill(dir: dir, log: tmp.path + "/run1.log", acks: 400)
    // A second life: the writer recovers whatever the kill left and continues; kill it again.
    acknowledged += try writeAndKill(dir: dir, log: tmp.path + "/run2.log", acks: 400)
    let disk = try DiskRaftStorage(
      fs: PosixFileSystem(), dataDirectory: dir, metadata: WALMetadata(memberID: 1, clusterID: 1),
      options: DataDirOptions(wal: WALOptions(segmentSize: 65536)))
    defer { try? disk.close() }
    let last = disk.storage.lastIndex()
    try #require(last >= acknowledged.max()!)
    let entries = try disk.storage.entries(from: 1, to: last + 1, maxSize: .max)
    try #require(entries.count == Int(last))
    for index in acknowledged {
      let entry = entries[Int(index) - 1]
      #expect(entry.index == index)
      #expect(entry.data.starts(with: Array("entry-\(index)-".utf8)), "entry \(index) has the wrong payload")
    }
    #expect(try PosixFileSystem().listDirectory(dir + "/member/wal").filter { $0.hasSuffix(".wal") }.count > 1)
  }
}
