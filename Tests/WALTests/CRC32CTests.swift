import Checksum
import Raft
import Testing

@testable import WAL

@Suite struct CRC32CTests {
  @Test func standardCheckValueOf123456789() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
  }

  @Test func knownVectorsFromRFC3720() {
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum([UInt8]()) == 0)
  }

  @Test func chainingEqualsOneChecksumOverTheConcatenation() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<200 {
      let a = (0..<Int(rng.next() % 100)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let b = (0..<Int(rng.next() % 100)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      #expect(CRC32C.update(CRC32C.checksum(a), b) == CRC32C.checksum(a + b))
    }
  }

  @Test func slicedPathAgreesWithBitwiseReference() {
    var rng = SplitMix64(seed: 11)
    for length in 0..<80 {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      var c: UInt32 = 0xFFFF_FFFF
      for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
      }
      #expect(CRC32C.checksum(bytes) == ~c, "length \(length)")
    }
  }
}
