// Receives one snapshot: header message, data chunks written to a temp file, trailer checked (length, CRC-32C),
// fsync, rename, then the delegate. Any failure removes the temp file.
import Checksum
import Foundation
import GRPCCore
import Raft

struct SnapshotReceiver {
  let core: PeerCore
  let sender: UInt64

  func receive(_ frames: RPCAsyncSequence<[UInt8], any Error>) async throws {
    var message: Message?
    var file: SnapshotFile?
    var crc = RunningCRC32C()
    var total: Int64 = 0
    var finished = false
    defer { if !finished { file?.discard() } }
    do {
      for try await frame in frames {
        guard let kind = frame.first else { throw PeerTransportError.snapshotFailed("empty frame") }
        guard !finished else { throw PeerTransportError.snapshotFailed("data after the trailer") }
        switch kind {
        case PeerWire.snapshotHeader where message == nil:
          let decoded = try MessageCodec.decode(Array(frame.dropFirst()))
          guard decoded.count == 1, decoded[0].type == .snapshot else {
            throw PeerTransportError.snapshotFailed("the header is not one snapshot message")
          }
          message = decoded[0]
          file = try SnapshotFile(directory: core.options.snapshotDirectory, sender: sender,
                                  index: decoded[0].snapshot?.metadata.index ?? 0)
        case PeerWire.snapshotChunk where file != nil:
          let chunk = frame.dropFirst()
          try file?.write(chunk)
          crc.update(chunk)
          total += Int64(chunk.count)
        case PeerWire.snapshotTrailer where file != nil:
          var reader = WireReader(frame, offset: 1)
          let length = Int64(bitPattern: try reader.fixed64("the length"))
          let checksum = try reader.fixed64("the checksum")
          guard length == total else {
            throw PeerTransportError.snapshotFailed("received \(total) bytes, the sender sent \(length)")
          }
          guard checksum == UInt64(crc.value) else {
            throw PeerTransportError.snapshotFailed("CRC-32C mismatch (got \(crc.value), sender computed \(checksum))")
          }
          finished = true
        default:
          throw PeerTransportError.snapshotFailed("unexpected frame kind \(kind)")
        }
      }
      guard finished, let message, let file else {
        throw PeerTransportError.snapshotFailed("the stream ended before the trailer")
      }
      finished = false
      let path = try await onOwnThread { () throws(PeerTransportError) -> String in try file.complete() }
      finished = true
      core.update(sender) { $0.bytesReceived += total }
      core.log(.info, "received and saved database snapshot", [
        "snapshot-index": "\(message.snapshot?.metadata.index ?? 0)", "remote-peer-id": PeerWire.hex(sender),
        "size": "\(total)", "path": path,
      ])
      if let delegate = core.delegate {
        delegate.receive(snapshot: message, dataFile: path)
      } else {
        try? FileManager.default.removeItem(atPath: path)
      }
    } catch let error as PeerTransportError {
      logFailure(error.description)
      throw RPCError(code: .dataLoss, message: error.description)
    } catch {
      logFailure("\(error)")
      throw error
    }
  }

  private func logFailure(_ error: String) {
    core.log(.warn, "failed to receive database snapshot", [
      "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(sender), "error": error,
    ])
  }
}

/// The temp file a snapshot is received into; `complete()` fsyncs and renames it, `discard()` removes it. One
/// receiver uses it at a time (`complete()` runs on a thread of its own while the receiver awaits it).
final class SnapshotFile: @unchecked Sendable {
  private let tempPath: String
  private let finalPath: String
  private var descriptor: Int32

  init(directory: String, sender: UInt64, index: UInt64) throws(PeerTransportError) {
    let unique = UInt64.random(in: 0...UInt64.max)
    let base = "\(directory)/snap-\(PeerWire.hex(sender))-\(String(index, radix: 16))-\(String(unique, radix: 16))"
    tempPath = base + ".tmp"
    finalPath = base + ".db"
    descriptor = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw .snapshotFailed("cannot create \(tempPath): \(String(cString: strerror(errno)))")
    }
  }

  func write(_ bytes: ArraySlice<UInt8>) throws(PeerTransportError) {
    let failure: Int32 = bytes.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return errno
        }
        offset += written
      }
      return 0
    }
    guard failure == 0 else { throw .snapshotFailed("cannot write \(tempPath): \(String(cString: strerror(failure)))") }
  }

  /// Fsyncs, closes and renames the file; returns its final path.
  func complete() throws(PeerTransportError) -> String {
    guard fsync(descriptor) == 0 else { throw .snapshotFailed("cannot fsync \(tempPath): \(String(cString: strerror(errno)))") }
    close(descriptor)
    descriptor = -1
    guard rename(tempPath, finalPath) == 0 else {
      throw .snapshotFailed("cannot rename \(tempPath): \(String(cString: strerror(errno)))")
    }
    return finalPath
  }

  func discard() {
    if descriptor >= 0 { close(descriptor) }
    descriptor = -1
    unlink(tempPath)
  }
}
