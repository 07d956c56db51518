// The on-disk record format.
//
// A record is a frame: an 8-byte header (body length: UInt32 LE, CRC-32C: UInt32 LE), the body (kind byte then
// payload), then zero padding to the next multiple of 8. The CRC covers the body and is chained: it continues from
// the previous record's CRC, so a record moved, dropped or duplicated breaks the chain. A `crc` record opens each
// segment carrying the running CRC of the segment before it (its own CRC continues from that value). An all-zero
// header (length 0, CRC 0) is the end of the written part of a preallocated segment.

import Checksum
import Raft

/// Who wrote the log: the member and cluster identity stored at the start of every segment.
public struct WALMetadata: Sendable, Hashable {
  /// This member's ID.
  public var memberID: UInt64
  /// The cluster's ID.
  public var clusterID: UInt64

  /// Creates metadata.
  public init(memberID: UInt64, clusterID: UInt64) {
    self.memberID = memberID
    self.clusterID = clusterID
  }
}

/// A snapshot position recorded in the WAL: a snapshot file with this index and term is known to be complete.
public struct SnapshotMarker: Sendable, Hashable {
  /// The last log index the snapshot covers.
  public var index: LogIndex
  /// The term of that entry.
  public var term: Term

  /// Creates a marker.
  public init(index: LogIndex = 0, term: Term = 0) {
    self.index = index
    self.term = term
  }
}

/// The kinds of record.
enum RecordKind: UInt8 {
  case metadata = 1
  case entry = 2
  case hardState = 3
  case crc = 4
  case snapshot = 5
}

enum RecordFormat {
  static let headerSize = 8
  /// The largest body accepted; a length field above it is corruption, not a torn write.
  static let maxBodySize = 256 << 20
  /// Body bytes of an entry record besides its data: kind, term, index, entry kind.
  static let entryOverhead = 18

  /// Frame size for a body of `bodyLength` bytes (header + body + padding to 8).
  @inline(__always) static func frameSize(bodyLength: Int) -> Int { (headerSize + bodyLength + 7) & ~7 }
}

/// Appends records to one reusable buffer (one contiguous write per batch) and keeps the running CRC.
struct RecordEncoder {
  var buffer: [UInt8] = []
  /// The CRC of the last record encoded.
  var crc: UInt32

  init(crc: UInt32) {
    self.crc = crc
    buffer.reserveCapacity(64 << 10)
  }

  mutating func reset() { buffer.removeAll(keepingCapacity: true) }

  @inline(__always) mutating func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }
  @inline(__always) mutating func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) } }

  /// Writes a frame whose body is the kind byte plus what `payload` appends; `chainFrom` overrides the CRC start.
  mutating func frame(_ kind: RecordKind, chainFrom: UInt32? = nil, _ payload: (inout RecordEncoder) -> Void) {
    let start = buffer.count
    buffer.append(contentsOf: repeatElement(0, count: RecordFormat.headerSize))
    buffer.append(kind.rawValue)
    payload(&self)
    let bodyLength = buffer.count - start - RecordFormat.headerSize
    let seed = chainFrom ?? crc
    let sum = buffer.withUnsafeBytes {
      CRC32C.update(seed, UnsafeRawBufferPointer(rebasing: $0[(start + RecordFormat.headerSize)...]))
    }
    buffer.withUnsafeMutableBytes { raw in
      raw.storeBytes(of: UInt32(bodyLength).littleEndian, toByteOffset: start, as: UInt32.self)
      raw.storeBytes(of: sum.littleEndian, toByteOffset: start + 4, as: UInt32.self)
    }
    let padded = RecordFormat.frameSize(bodyLength: bodyLength)
    buffer.append(contentsOf: repeatElement(0, count: padded - bodyLength - RecordFormat.headerSize))
    crc = sum
  }

  mutating func entry(_ e: Entry) {
    frame(.entry) { enc in
      enc.put64(e.term)
      enc.put64(e.index)
      enc.buffer.append(e.kind == .normal ? 0 : 1)
      enc.buffer.append(contentsOf: e.data)
    }
  }

  mutating func hardState(_ h: HardState) {
    frame(.hardState) { enc in
      enc.put64(h.term)
      enc.put64(h.vote)
      enc.put64(h.commit)
    }
  }

  mutating func metadata(_ m: WALMetadata) {
    frame(.metadata) { enc in
      enc.put64(m.memberID)
      enc.put64(m.clusterID)
    }
  }

  mutating func snapshot(_ s: SnapshotMarker) {
    frame(.snapshot) { enc in
      enc.put64(s.index)
      enc.put64(s.term)
    }
  }

  /// The record opening a segment: carries the running CRC, and its own CRC continues from it.
  mutating func crcRecord() {
    let running = crc
    frame(.crc, chainFrom: running) { enc in enc.put32(running) }
  }
}

/// A decoded record body.
enum Record: Equatable {
  case metadata(WALMetadata)
  case entry(Entry)
  case hardState(HardState)
  case crc(UInt32)
  case snapshot(SnapshotMarker)
}

extension UnsafeRawBufferPointer {
  @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
  @inline(__always) func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
}

/// Why a frame could not be read.
enum FrameProblem: Error, Equatable {
  /// The frame runs past the end of the file.
  case cutShort
  /// The length field is zero with a non-zero CRC, or larger than any record.
  case impossibleLength(Int)
  /// The CRC does not match; `torn` when a 512-byte sector of the body is all zeros (a write that never landed).
  case crcMismatch(torn: Bool)
  /// A segment's opening CRC record does not continue the previous segment's chain.
  case chainBreak(expected: UInt32, found: UInt32)
  /// The CRC matched but the body is not a valid record (unknown kind, wrong size).
  case undecodable(String)
}

/// The outcome of reading one frame.
enum FrameRead: Equatable {
  case record(Record, crc: UInt32, next: Int)
  case end
  case problem(FrameProblem)
}

enum RecordDecoder {
  /// Reads the frame at `offset` of `bytes`, checking the CRC chain from `running` (nil: the chain starts here, which
  /// only a `crc` record may do).
  static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, running: UInt32?) -> FrameRead {
    let count = bytes.count
    if offset + RecordFormat.headerSize > count {
      for i in offset..<count where bytes[i] != 0 { return .problem(.cutShort) }
      return .end
    }
    let length = Int(bytes.u32(offset))
    let stored = bytes.u32(offset + 4)
    if length == 0 {
      return stored == 0 ? .end : .problem(.impossibleLength(0))
    }
    if length > RecordFormat.maxBodySize { return .problem(.impossibleLength(length)) }
    let bodyStart = offset + RecordFormat.headerSize
    if bodyStart + length > count { return .problem(.cutShort) }
    let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + length)])
    let isCRC = body[0] == RecordKind.crc.rawValue && length == 5
    let seed: UInt32
    if isCRC {
      seed = body.u32(1)
    } else if let running {
      seed = running
    } else {
      return .problem(.undecodable("the segment does not start with a CRC record"))
    }
    if CRC32C.update(seed, body) != stored {
      return .problem(.crcMismatch(torn: hasZeroSector(bytes, from: bodyStart, to: bodyStart + length)))
    }
    if isCRC, let running, running != seed { return .problem(.chainBreak(expected: running, found: seed)) }
    let next = offset + RecordFormat.frameSize(bodyLength: length)
    switch decodeBody(body) {
    case .success(let record): return .record(record, crc: stored, next: min(next, count))
    case .failure(let problem): return .problem(problem)
    }
  }

  /// True when some 512-byte-aligned chunk of `bytes[from..<to]` is all zeros.
  static func hasZeroSector(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Bool {
    var start = from
    while start < to {
      let end = min((start / 512 + 1) * 512, to)
      var zero = true
      for i in start..<end where bytes[i] != 0 {
        zero = false
        break
      }
      if zero { return true }
      start = end
    }
    return false
  }

  static func decodeBody(_ body: UnsafeRawBufferPointer) -> Result<Record, FrameProblem> {
    let payload = body.count - 1
    switch RecordKind(rawValue: body[0]) {
    case .metadata where payload == 16:
      return .success(.metadata(WALMetadata(memberID: body.u64(1), clusterID: body.u64(9))))
    case .entry where payload >= 17:
      guard body[17] <= 1 else { return .failure(.undecodable("entry kind \(body[17])")) }
      let entry = Entry(
        term: body.u64(1), index: body.u64(9), kind: body[17] == 0 ? .normal : .confChange,
        data: Array(UnsafeRawBufferPointer(rebasing: body[18...])))
      return .success(.entry(entry))
    case .hardState where payload == 24:
      return .success(.hardState(HardState(term: body.u64(1), vote: body.u64(9), commit: body.u64(17))))
    case .crc where payload == 4:
      return .success(.crc(body.u32(1)))
    case .snapshot where payload == 16:
      return .success(.snapshot(SnapshotMarker(index: body.u64(1), term: body.u64(9))))
    default:
      return .failure(.undecodable("record kind \(body[0]) with \(payload) payload bytes"))
    }
  }
}
