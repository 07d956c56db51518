// The binary wire format of Raft messages between swetcd members (not etcd's protobuf: mixed clusters are out of
// scope). A batch is: version byte, message count, messages. Each message is its type code, varint fields, a flag
// byte, then its context, entries and optional snapshot as length-prefixed parts.
import Raft

/// Encodes and decodes batches of ``Raft/Message``.
public enum MessageCodec {
  /// The format version written first in every batch; decoding refuses any other.
  public static let version: UInt8 = 1

  /// Encodes `messages` as one batch.
  public static func encode(_ messages: some Collection<Message>) -> [UInt8] {
    var writer = WireWriter(capacity: messages.reduce(2) { $0 + estimatedSize($1) })
    writer.byte(version)
    writer.varint(UInt64(messages.count))
    for message in messages { write(message, into: &writer) }
    return writer.bytes
  }

  /// Decodes a batch. Throws ``PeerTransportError/malformed(_:)`` on any bad byte; never traps.
  public static func decode(_ bytes: [UInt8]) throws(PeerTransportError) -> [Message] {
    var reader = WireReader(bytes)
    let found = try reader.byte("the version")
    guard found == version else { throw .malformed("unknown format version \(found) (this member reads \(version))") }
    let count = try reader.count("message")
    var messages: [Message] = []
    messages.reserveCapacity(count)
    for _ in 0..<count { messages.append(try read(from: &reader)) }
    guard reader.atEnd else { throw .malformed("\(reader.remaining) bytes after the last message") }
    return messages
  }

  /// A size estimate good enough to reserve capacity (exact for the payloads, generous for the varints).
  static func estimatedSize(_ message: Message) -> Int {
    var size = 80 + message.context.count
    for entry in message.entries { size += 24 + entry.data.count }
    if let snapshot = message.snapshot {
      size += 32 + snapshot.data.count + 10 * (snapshot.metadata.confState.voters.count + snapshot.metadata.confState.learners.count)
    }
    return size
  }

  private static let typeCodes: [MessageType] = [
    .hup, .beat, .propose, .append, .appendResponse, .vote, .voteResponse, .preVote, .preVoteResponse, .snapshot,
    .heartbeat, .heartbeatResponse, .unreachable, .snapshotStatus, .checkQuorum, .transferLeader, .timeoutNow,
    .readIndex, .readIndexResponse,
  ]

  private static func code(of type: MessageType) -> UInt8 {
    switch type {
    case .hup: 0
    case .beat: 1
    case .propose: 2
    case .append: 3
    case .appendResponse: 4
    case .vote: 5
    case .voteResponse: 6
    case .preVote: 7
    case .preVoteResponse: 8
    case .snapshot: 9
    case .heartbeat: 10
    case .heartbeatResponse: 11
    case .unreachable: 12
    case .snapshotStatus: 13
    case .checkQuorum: 14
    case .transferLeader: 15
    case .timeoutNow: 16
    case .readIndex: 17
    case .readIndexResponse: 18
    }
  }

  private static let rejectFlag: UInt8 = 1
  private static let snapshotFlag: UInt8 = 2

  static func write(_ message: Message, into writer: inout WireWriter) {
    writer.byte(code(of: message.type))
    writer.varint(message.to)
    writer.varint(message.from)
    writer.varint(message.term)
    writer.varint(message.logTerm)
    writer.varint(message.index)
    writer.varint(message.commit)
    writer.varint(message.rejectHint)
    writer.byte((message.reject ? rejectFlag : 0) | (message.snapshot != nil ? snapshotFlag : 0))
    writer.data(message.context)
    writer.varint(UInt64(message.entries.count))
    for entry in message.entries {
      writer.varint(entry.term)
      writer.varint(entry.index)
      writer.byte(entry.kind == .normal ? 0 : 1)
      writer.data(entry.data)
    }
    if let snapshot = message.snapshot {
      writer.varint(snapshot.metadata.index)
      writer.varint(snapshot.metadata.term)
      for ids in [snapshot.metadata.confState.voters, snapshot.metadata.confState.learners] {
        writer.varint(UInt64(ids.count))
        for id in ids.sorted() { writer.varint(id) }
      }
      writer.data(snapshot.data)
    }
  }

  static func read(from reader: inout WireReader) throws(PeerTransportError) -> Message {
    let typeCode = try reader.byte("the message type")
    guard Int(typeCode) < typeCodes.count else { throw .malformed("unknown message type \(typeCode)") }
    var message = Message(type: typeCodes[Int(typeCode)])
    message.to = try reader.varint("to")
    message.from = try reader.varint("from")
    message.term = try reader.varint("term")
    message.logTerm = try reader.varint("logTerm")
    message.index = try reader.varint("index")
    message.commit = try reader.varint("commit")
    message.rejectHint = try reader.varint("rejectHint")
    let flags = try reader.byte("the flags")
    guard flags & ~(rejectFlag | snapshotFlag) == 0 else { throw .malformed("unknown flags \(flags)") }
    message.reject = flags & rejectFlag != 0
    message.context = try reader.data("context")
    let entryCount = try reader.count("entry")
    message.entries.reserveCapacity(entryCount)
    for _ in 0..<entryCount {
      let term = try reader.varint("entry term")
      let index = try reader.varint("entry index")
      let kind: EntryKind
      switch try reader.byte("entry kind") {
      case 0: kind = .normal
      case 1: kind = .confChange
      case let other: throw .malformed("unknown entry kind \(other)")
      }
      message.entries.append(Entry(term: term, index: index, kind: kind, data: try reader.data("entry data")))
    }
    if flags & snapshotFlag != 0 {
      var metadata = SnapshotMetadata(index: try reader.varint("snapshot index"), term: try reader.varint("snapshot term"))
      for learners in [false, true] {
        let count = try reader.count(learners ? "learner" : "voter")
        var ids = Set<NodeID>(minimumCapacity: count)
        for _ in 0..<count { ids.insert(try reader.varint("member ID")) }
        if learners { metadata.confState.learners = ids } else { metadata.confState.voters = ids }
      }
      message.snapshot = Snapshot(metadata: metadata, data: try reader.data("snapshot data"))
    }
    return message
  }
}
