import Crypto
import EtcdClient
import Foundation
import Testing
import TestSupport

/// A snapshot is only kept when its SHA-256 trailer matches the database bytes before it.
@Suite struct SnapshotFileTests {
  func stream(_ database: Data, corrupt: Bool = false) -> Data {
    var trailer = Data(SHA256.hash(data: database))
    if corrupt { trailer[0] ^= 0xff }
    return database + trailer
  }

  @Test func verifiedStreamIsRenamedIntoPlaceWithItsTrailer() throws {
    let dir = makeTemporaryDirectory("snapfile")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let database = Data((0..<100_000).map { UInt8($0 % 251) })
    let bytes = stream(database)
    let file = try SnapshotFile(path: "\(dir)/s.db")
    // Chunk sizes that split the trailer across appends.
    var offset = 0
    for size in [7, 32 * 1024, 1, 50_000, 31, 33] where offset < bytes.count {
      try file.append(bytes.subdata(in: offset..<min(bytes.count, offset + size)))
      offset += size
    }
    if offset < bytes.count { try file.append(bytes.subdata(in: offset..<bytes.count)) }
    let (sha, size) = try file.finish()
    #expect(size == database.count)
    #expect(sha == SHA256.hash(data: database).map { String(format: "%02x", $0) }.joined())
    #expect(FileManager.default.contents(atPath: "\(dir)/s.db") == bytes)
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/s.db.part"))
  }

  @Test func corruptTrailerLeavesNoFileAndSaysToTakeItAgain() throws {
    let dir = makeTemporaryDirectory("snapfile")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = try SnapshotFile(path: "\(dir)/s.db")
    try file.append(stream(Data(repeating: 7, count: 4096), corrupt: true))
    let error = #expect(throws: EtcdClientError.self) { try file.finish() }
    #expect(error?.description.contains("trailer does not match its 4096 database bytes") == true)
    #expect(error?.description.contains("take it again") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  @Test func streamShorterThanATrailerIsRefused() throws {
    let dir = makeTemporaryDirectory("snapfile")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = try SnapshotFile(path: "\(dir)/s.db")
    try file.append(Data(repeating: 1, count: 10))
    #expect(throws: EtcdClientError.self) { try file.finish() }
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/s.db"))
  }
}
