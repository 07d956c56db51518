import Crypto
import Foundation
import SSH
import Testing

/// Atomic uploads and observe-before-act reads over a real sshd. The server is this machine, so results are also
/// checked directly on the file system.
extension SSHServerSuites {
@Suite struct UploadTests {
  private func randomData(_ count: Int) -> Data {
    var generator = SystemRandomNumberGenerator()
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    for index in words.indices { words[index] = generator.next() }
    return words.withUnsafeBytes { Data($0.prefix(count)) }
  }

  private func leftovers(in folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("swetcd-tmp") }
  }

  @Test func uploadOf5MBArrivesIdenticalWithItsModeAndNoTemporaryFile() async throws {
    try await withTestBed { bed in
      let folder = bed.directory + "/etc-swetcd"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
      let path = folder + "/swetcd.bin"
      let payload = randomData(5 * 1024 * 1024)
      let reports = Locked<[(Int64, Int64)]>([])
      let client = try await SSHClient.connect(bed.target())
      try await client.upload(payload, to: path, mode: 0o640) { sent, total in
        reports.withLock { $0.append((sent, total)) }
      }
      #expect(FileManager.default.contents(atPath: path) == payload)
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect((attributes[.posixPermissions] as? Int) == 0o640)
      #expect(try leftovers(in: folder).isEmpty)
      let progress = reports.value
      #expect(progress.count > 1)
      #expect(progress.last.map { $0.0 == $0.1 && $0.1 == Int64(payload.count) } == true)
      #expect(zip(progress, progress.dropFirst()).allSatisfy { $0.0 < $1.0 })
      let remoteHash = try await client.fileSHA256(path)
      #expect(remoteHash == SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined())
      #expect(try await client.readFile(path) == payload)
      await client.close()
    }
  }

  @Test func uploadReplacesAnExistingFileAndSetsOwner() async throws {
    try await withTestBed { bed in
      let path = bed.directory + "/config.yml"
      try "old contents\n".write(toFile: path, atomically: true, encoding: .utf8)
      let client = try await SSHClient.connect(bed.target())
      try await client.upload(Data("new contents\n".utf8), to: path, mode: 0o600, owner: "root:root")
      await client.close()
      #expect(try String(contentsOfFile: path, encoding: .utf8) == "new contents\n")
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect((attributes[.posixPermissions] as? Int) == 0o600)
      #expect((attributes[.ownerAccountName] as? String) == "root")
      #expect(try leftovers(in: bed.directory).isEmpty)
    }
  }

  @Test func uploadOfALocalFileStreamsIt() async throws {
    try await withTestBed { bed in
      let local = bed.directory + "/local.bin"
      let payload = randomData(3_000_001)
      _ = FileManager.default.createFile(atPath: local, contents: payload)
      let remote = bed.directory + "/remote.bin"
      let client = try await SSHClient.connect(bed.target())
      try await client.upload(localFile: local, to: remote, mode: 0o755)
      await client.close()
      #expect(FileManager.default.contents(atPath: remote) == payload)
      let attributes = try FileManager.default.attributesOfItem(atPath: remote)
      #expect((attributes[.posixPermissions] as? Int) == 0o755)
    }
  }

  @Test func uploadToAMissingDirectoryFailsCleanly() async throws {
    try await withTestBed { bed in
      let path = bed.directory + "/no/such/dir/file.txt"
      let client = try await SSHClient.connect(bed.target())
      do {
        try await client.upload(Data("x".utf8), to: path)
        Issue.record("upload into a missing directory must fail")
      } catch let error as SSHError {
        guard case .uploadFailed(_, let failedPath, let reason) = error else {
          Issue.record("unexpected error \(error)")
          return
        }
        #expect(failedPath == path)
        #expect(reason.contains("\(bed.directory)/no/such/dir does not exist"))
      }
      // The session is still usable after the failure.
      #expect(try await client.run("echo alive").stdoutText == "alive\n")
      await client.close()
      #expect(!FileManager.default.fileExists(atPath: bed.directory + "/no"))
    }
  }

  @Test func uploadOfAMissingLocalFileFailsBeforeTouchingTheServer() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      await #expect(throws: SSHError.self) {
        try await client.upload(localFile: bed.directory + "/absent", to: bed.directory + "/dest")
      }
      await client.close()
      #expect(try leftovers(in: bed.directory).isEmpty)
      #expect(!FileManager.default.fileExists(atPath: bed.directory + "/dest"))
    }
  }

  @Test func readFileAndHashOfAMissingFileAreNil() async throws {
    try await withTestBed { bed in
      let client = try await SSHClient.connect(bed.target())
      #expect(try await client.readFile(bed.directory + "/missing") == nil)
      #expect(try await client.fileSHA256(bed.directory + "/missing") == nil)
      let present = bed.directory + "/it's here.txt"
      try "content".write(toFile: present, atomically: true, encoding: .utf8)
      #expect(try await client.readFile(present) == Data("content".utf8))
      #expect(
        try await client.fileSHA256(present)
          == "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73")
      await client.close()
    }
  }

  @Test func emptyUploadCreatesAnEmptyFileAndReportsProgress() async throws {
    try await withTestBed { bed in
      let path = bed.directory + "/empty"
      let reports = Locked<[(Int64, Int64)]>([])
      let client = try await SSHClient.connect(bed.target())
      try await client.upload(Data(), to: path) { sent, total in reports.withLock { $0.append((sent, total)) } }
      await client.close()
      #expect(FileManager.default.contents(atPath: path) == Data())
      #expect(reports.withLock { $0.count } == 1)
    }
  }
}
}
