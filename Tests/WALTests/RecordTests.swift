import Raft
import Testing

@testable import WAL

@Suite struct RecordTests {
  func decodeAll(_ buffer: [UInt8]) -> [Record] {
    var out: [Record] = []
    buffer.withUnsafeBytes { raw in
      var offset = 0
      var running: UInt32? = nil
      while case let .record(record, crc, next) = RecordDecoder.read(raw, at: offset, running: running) {
        out.append(record)
        running = crc
        offset = next
      }
    }
    return out
  }

  @Test func everyKindRoundTripsAndFramesAre8ByteAligned() {
    var enc = RecordEncoder(crc: 0)
    enc.crcRecord()
    #expect(enc.buffer.count % 8 == 0)
    enc.metadata(WALMetadata(memberID: 1, clusterID: 2))
    enc.entry(Entry(term: 3, index: 4, kind: .confChange, data: [1, 2, 3]))
    #expect(enc.buffer.count % 8 == 0)
    enc.entry(Entry(term: 3, index: 5, data: []))
    enc.hardState(HardState(term: 3, vote: 1, commit: 5))
    enc.snapshot(SnapshotMarker(index: 4, term: 3))
    #expect(enc.buffer.count % 8 == 0)
    #expect(
      decodeAll(enc.buffer) == [
        .crc(0), .metadata(WALMetadata(memberID: 1, clusterID: 2)),
        .entry(Entry(term: 3, index: 4, kind: .confChange, data: [1, 2, 3])), .entry(Entry(term: 3, index: 5)),
        .hardState(HardState(term: 3, vote: 1, commit: 5)), .snapshot(SnapshotMarker(index: 4, term: 3)),
      ])
  }

  @Test func aFlippedBitInAnyRecordByteIsDetected() {
    var enc = RecordEncoder(crc: 0)
    enc.crcRecord()
    enc.entry(Entry(term: 1, index: 1, data: Array(repeating: 7, count: 40)))
    let clean = enc.buffer
    let firstFrame = RecordFormat.frameSize(bodyLength: 5)
    for offset in firstFrame..<(firstFrame + 8 + 58) {
      var damaged = clean
      damaged[offset] ^= 0x10
      let records = decodeAll(damaged)
      #expect(records.count == 1, "flip at \(offset) was accepted")
    }
  }

  @Test func recordsReorderedAcrossTheChainAreRejected() {
    var enc = RecordEncoder(crc: 0)
    enc.crcRecord()
    let start = enc.buffer.count
    enc.entry(Entry(term: 1, index: 1, data: [1]))
    let mid = enc.buffer.count
    enc.entry(Entry(term: 1, index: 2, data: [2]))
    let swapped = Array(enc.buffer[..<start]) + Array(enc.buffer[mid...]) + Array(enc.buffer[start..<mid])
    #expect(decodeAll(swapped).count == 1)
  }

  @Test func zeroSectorInsideABodyIsSeenAsTorn() {
    var enc = RecordEncoder(crc: 0)
    enc.crcRecord()
    enc.entry(Entry(term: 1, index: 1, data: Array(repeating: 9, count: 1500)))
    var torn = enc.buffer
    for i in 512..<1024 { torn[i] = 0 }
    torn.withUnsafeBytes { raw in
      if case .record(_, let crc, let next) = RecordDecoder.read(raw, at: 0, running: nil) {
        #expect(RecordDecoder.read(raw, at: next, running: crc) == .problem(.crcMismatch(torn: true)))
      } else {
        Issue.record("crc record unreadable")
      }
    }
  }

  @Test func segmentNamesRoundTripAndRejectMalformedNames() {
    let name = SegmentName(sequence: 0x1a, firstIndex: 0x2b)
    #expect(name.fileName == "000000000000001a-000000000000002b.wal")
    #expect(SegmentName(fileName: name.fileName) == name)
    #expect(SegmentName(fileName: "000000000000001A-000000000000002b.wal") == nil)
    #expect(SegmentName(fileName: "1-2.wal") == nil)
    #expect(SegmentName(fileName: "000000000000001a_000000000000002b.wal") == nil)
  }
}
