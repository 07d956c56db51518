import PeerTransport
import Raft
import Testing

@Suite struct MessageCodecTests {
  static let allTypes: [MessageType] = [
    .hup, .beat, .propose, .append, .appendResponse, .vote, .voteResponse, .preVote, .preVoteResponse, .snapshot,
    .heartbeat, .heartbeatResponse, .unreachable, .snapshotStatus, .checkQuorum, .transferLeader, .timeoutNow,
    .readIndex, .readIndexResponse,
  ]

  @Test func everyMessageTypeRoundTripsWithAllFields() throws {
    let messages = Self.allTypes.enumerated().map { offset, type in
      Message(
        type: type, to: UInt64.max - UInt64(offset), from: UInt64(offset), term: 1 << 40, logTerm: 7, index: 1 << 63,
        entries: [Entry(term: 3, index: 4, kind: offset % 2 == 0 ? .normal : .confChange, data: [1, 2, 3]), Entry(term: 0, index: 0)],
        commit: 99, snapshot: type == .snapshot
          ? Snapshot(metadata: SnapshotMetadata(index: 10, term: 2, confState: ConfState(voters: [1, 2, 3], learners: [9])), data: [5, 6])
          : nil,
        reject: offset % 3 == 0, rejectHint: 12, context: Array("CampaignTransfer".utf8))
    }
    #expect(try MessageCodec.decode(MessageCodec.encode(messages)) == messages)
  }

  @Test func emptyMessageAndEmptyBatchRoundTrip() throws {
    let empty = [Message(type: .heartbeat)]
    #expect(try MessageCodec.decode(MessageCodec.encode(empty)) == empty)
    #expect(try MessageCodec.decode(MessageCodec.encode([Message]())) == [])
    let emptySnapshot = [Message(type: .snapshot, snapshot: Snapshot())]
    #expect(try MessageCodec.decode(MessageCodec.encode(emptySnapshot)) == emptySnapshot)
  }

  @Test func bigEntriesRoundTrip() throws {
    let big = (0..<3).map { Entry(term: 2, index: UInt64($0), data: [UInt8](repeating: UInt8($0), count: 2 << 20)) }
    let messages = [Message(type: .append, to: 2, from: 1, entries: big)]
    #expect(try MessageCodec.decode(MessageCodec.encode(messages)) == messages)
  }

  @Test func garbageAndTruncatedBytesAreRejected() throws {
    let valid = MessageCodec.encode([Message(type: .append, to: 2, from: 1, entries: [Entry(term: 1, index: 1, data: [1, 2, 3])])])
    for length in 0..<valid.count {
      #expect(throws: PeerTransportError.self) { try MessageCodec.decode(Array(valid[..<length])) }
    }
    #expect(throws: PeerTransportError.self) { try MessageCodec.decode([9, 1]) }  // unknown version
    #expect(throws: PeerTransportError.self) { try MessageCodec.decode([1, 1, 200]) }  // unknown type
    #expect(throws: PeerTransportError.self) { try MessageCodec.decode([1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }  // huge count
    #expect(throws: PeerTransportError.self) { try MessageCodec.decode(valid + [0]) }  // trailing byte
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let junk = [MessageCodec.version] + (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      _ = try? MessageCodec.decode(junk)  // must throw or decode, never trap
    }
  }
}
