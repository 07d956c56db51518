// Sending one `.snapshot` message on its own call: header, the delegate's data in chunks, trailer with the length
// and CRC-32C. The delegate hears snapshotSent(to:failed:) either way.
import Checksum
import GRPCCore
import Raft

/// Lets the non-Sendable snapshot source cross into the request producer, which is its only user.
private struct SourceBox: @unchecked Sendable {
  let source: any PeerSnapshotSource
}

extension PeerLink {
  func sendSnapshot(_ message: Message) async {
    guard let delegate = core.delegate else { return }
    let peer = PeerWire.hex(id)
    let index = "\(message.snapshot?.metadata.index ?? 0)"
    do {
      let box = SourceBox(source: try delegate.openSnapshotData(for: message))
      core.log(.info, "sending database snapshot", [
        "snapshot-index": index, "remote-peer-id": peer, "size": "\(box.source.totalBytes)",
      ])
      var options = CallOptions.defaults
      options.waitForReady = false
      options.maxRequestMessageBytes = PeerWire.maxMessageBytes
      let metadata = PeerWire.identity(sender: core.options.memberID, target: id, cluster: core.options.clusterID)
      let request = StreamingClientRequest<[UInt8]>(metadata: metadata) { writer in
        try await writer.write([PeerWire.snapshotHeader] + MessageCodec.encode([message]))
        var crc = RunningCRC32C()
        var total: Int64 = 0
        while let chunk = try box.source.nextChunk() {
          guard !chunk.isEmpty else { continue }
          crc.update(chunk)
          total += Int64(chunk.count)
          var frame = [UInt8]()
          frame.reserveCapacity(chunk.count + 1)
          frame.append(PeerWire.snapshotChunk)
          frame.append(contentsOf: chunk)
          try await writer.write(frame)
        }
        var trailer = WireWriter(capacity: 17)
        trailer.byte(PeerWire.snapshotTrailer)
        trailer.fixed64(UInt64(bitPattern: total))
        trailer.fixed64(UInt64(crc.value))
        try await writer.write(trailer.bytes)
      }
      try await client.clientStreaming(
        request: request, descriptor: PeerWire.snapshot, serializer: RawBytesCoder(), deserializer: RawBytesCoder(),
        options: options
      ) { response in _ = try response.message }
      core.log(.info, "sent database snapshot", ["snapshot-index": index, "remote-peer-id": peer])
      delegate.snapshotSent(to: id, failed: false)
    } catch {
      if let refusal = error as? RPCError { handleRefusal(refusal) }
      core.log(.warn, "failed to send database snapshot", [
        "snapshot-index": index, "remote-peer-id": peer, "error": "\(error)",
      ])
      delegate.snapshotSent(to: id, failed: true)
    }
  }
}
