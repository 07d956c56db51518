// The receiving side: the swetcd.peer.Raft gRPC service with its identity checks (client certificate CN, cluster
// ID, target member ID, removed sender), the message stream, the clock probe and the membership answer.
import GRPCCore
import GRPCNIOTransportHTTP2
import Raft

struct PeerService: RegistrableRPCService {
  let core: PeerCore

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerHandler(
      forMethod: PeerWire.stream, deserializer: RawBytesCoder(), serializer: RawBytesCoder()
    ) { request, context in
      let sender = try admit(request.metadata, context)
      return StreamingServerResponse { writer in
        try await writer.write([])
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { try await receiveStream(request.messages, from: sender) }
          group.addTask {
            await core.untilStopping()
            throw RPCError(code: .unavailable, message: "the member is stopping")
          }
          try await group.next()
          group.cancelAll()
        }
        return [:]
      }
    }
    router.registerHandler(
      forMethod: PeerWire.snapshot, deserializer: RawBytesCoder(), serializer: RawBytesCoder()
    ) { request, context in
      let sender = try admit(request.metadata, context)
      try await SnapshotReceiver(core: core, sender: sender).receive(request.messages)
      return StreamingServerResponse(single: ServerResponse(message: []))
    }
    router.registerHandler(
      forMethod: PeerWire.probe, deserializer: RawBytesCoder(), serializer: RawBytesCoder()
    ) { request, context in
      try checkCommonName(context)
      for try await _ in request.messages {}
      var writer = WireWriter(capacity: 8)
      writer.fixed64(UInt64(bitPattern: core.options.wallClock()))
      return StreamingServerResponse(single: ServerResponse(message: writer.bytes))
    }
    router.registerHandler(
      forMethod: PeerWire.membership, deserializer: RawBytesCoder(), serializer: RawBytesCoder()
    ) { request, context in
      try checkCommonName(context)
      for try await _ in request.messages {}
      guard let delegate = core.delegate else { throw RPCError(code: .unavailable, message: "the member is stopping") }
      return StreamingServerResponse(single: ServerResponse(message: delegate.membership()))
    }
  }

  private func receiveStream(_ frames: RPCAsyncSequence<[UInt8], any Error>, from sender: UInt64) async throws {
    let peer = PeerWire.hex(sender)
    core.log(.info, "peer became active", ["peer-id": peer, "local-member-id": core.localID])
    defer { core.log(.info, "peer became inactive (message send to peer failed)", ["peer-id": peer]) }
    for try await frame in frames {
      let messages: [Message]
      do { messages = try MessageCodec.decode(frame) } catch {
        core.log(.warn, "lost TCP streaming connection with remote peer", [
          "stream-reader-type": "stream Message", "local-member-id": core.localID, "remote-peer-id": peer,
          "error": error.description,
        ])
        throw RPCError(code: .dataLoss, message: error.description)
      }
      core.update(sender) { $0.bytesReceived += Int64(frame.count) }
      core.delegate?.receive(messages)
    }
  }

  /// The client certificate's common name must match `allowedCN` when one is configured.
  private func checkCommonName(_ context: ServerContext) throws(RPCError) {
    guard let tls = core.options.tls, !tls.allowedCN.isEmpty else { return }
    let certificate = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
    guard tls.allows(certificate) else {
      core.log(.warn, "rejected connection", [
        "remote-addr": context.remotePeer, "error": "CommonName authentication failed", "allowed-cn": tls.allowedCN,
      ])
      throw RPCError(code: .permissionDenied, message: "CommonName authentication failed (allowed CN \(tls.allowedCN))")
    }
  }

  /// Checks a stream's or snapshot's identity metadata; returns the sender's ID.
  private func admit(_ metadata: Metadata, _ context: ServerContext) throws(RPCError) -> UInt64 {
    try checkCommonName(context)
    guard let sender = PeerWire.id(PeerWire.senderKey, in: metadata),
          let target = PeerWire.id(PeerWire.targetKey, in: metadata),
          let cluster = PeerWire.id(PeerWire.clusterKey, in: metadata) else {
      throw RPCError(code: .invalidArgument, message: "missing sender, target or cluster ID")
    }
    let local = core.options
    if cluster != local.clusterID {
      let got = PeerWire.hex(cluster), want = PeerWire.hex(local.clusterID)
      core.log(.warn, "request cluster ID mismatch (got \(got) want \(want))", [
        "local-member-id": core.localID, "local-member-cluster-id": want, "remote-peer-id": PeerWire.hex(sender),
        "remote-peer-cluster-id": got,
      ])
      var trailers = Metadata()
      trailers.addString(want, forKey: PeerWire.clusterKey)
      throw RPCError(code: .failedPrecondition, message: PeerWire.clusterMismatch, metadata: trailers)
    }
    if core.delegate?.isRemoved(sender) == true {
      core.log(.warn, "rejected stream from remote peer because it was removed", [
        "local-member-id": core.localID, "remote-peer-id-stream-handler": PeerWire.hex(sender),
      ])
      throw RPCError(code: .permissionDenied, message: PeerWire.removedMember)
    }
    if target != local.memberID {
      core.log(.warn, "rejected stream: target member ID mismatch", [
        "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(sender), "target-id": PeerWire.hex(target),
      ])
      throw RPCError(code: .failedPrecondition, message: PeerWire.targetMismatch)
    }
    return sender
  }
}
