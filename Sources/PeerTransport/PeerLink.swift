// The sending side towards one peer: a gRPC client per peer URL, one long-lived message stream (reconnected with
// exponential backoff), and the clock probe.
import GRPCCore
import GRPCNIOTransportHTTP2
import Raft
import Synchronization

final class PeerLink: Sendable {
  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  let id: UInt64
  let urls: [String]
  let queue: PeerQueue
  let core: PeerCore
  private let clients: [Client]
  /// Index of the URL in use (moves on after each failed attempt).
  private let current = Atomic<Int>(0)
  private let task = Mutex<Task<Void, Never>?>(nil)
  /// Last time the cluster-ID refusal was logged (rate limit), in ContinuousClock terms.
  private let lastMismatchLog = Mutex<ContinuousClock.Instant?>(nil)
  private let removedReported = Atomic<Bool>(false)

  static let initialBackoff = Duration.milliseconds(100)
  static let maxBackoff = Duration.seconds(5)
  static let mismatchLogInterval = Duration.seconds(10)

  init(id: UInt64, urls: [String], core: PeerCore) throws(PeerTransportError) {
    self.id = id
    self.urls = urls
    self.core = core
    self.queue = PeerQueue(capacity: core.options.queueCapacity)
    var clients: [Client] = []
    for text in urls {
      clients.append(try Self.makeClient(url: try PeerURL(parsing: text), tls: core.options.tls))
    }
    guard !clients.isEmpty else { throw .invalidURL("", reason: "member \(PeerWire.hex(id)) has no peer URL") }
    self.clients = clients
  }

  static func makeClient(url: PeerURL, tls: PeerTLSSettings?) throws(PeerTransportError) -> Client {
    let security: HTTP2ClientTransport.Posix.TransportSecurity
    if url.secure {
      guard let tls else { throw .missingTLS(url: url.description) }
      try tls.validate()
      security = tls.clientSecurity
    } else {
      security = .plaintext
    }
    var config = HTTP2ClientTransport.Posix.Config.defaults
    config.backoff.initial = initialBackoff
    config.backoff.max = maxBackoff
    config.connection.keepalive = .init(time: .seconds(30), timeout: .seconds(10), allowWithoutCalls: true)
    let target: any ResolvableTarget = url.isIPv6 ? .ipv6(address: url.host, port: url.port)
      : url.isIPv4 ? .ipv4(address: url.host, port: url.port) : .dns(host: url.host, port: url.port)
    do {
      return GRPCClient(transport: try HTTP2ClientTransport.Posix(target: target, transportSecurity: security, config: config))
    } catch {
      throw .invalidURL(url.description, reason: "cannot set up a connection: \(error)")
    }
  }

  /// The client of the URL in use.
  var client: Client { clients[current.load(ordering: .relaxed) % clients.count] }

  func start() {
    let work = Task { [self] in
      await withTaskGroup(of: Void.self) { group in
        for client in clients { group.addTask { try? await client.runConnections() } }
        await withTaskGroup(of: Void.self) { loops in
          loops.addTask { await self.streamLoop() }
          loops.addTask { await self.probeLoop() }
        }
        for client in clients { client.beginGracefulShutdown() }
      }
    }
    task.withLock { $0 = work }
  }

  /// Ends the stream, the probe and the connections.
  func stop() async {
    guard let work = task.withLock({ $0 }) else { return }
    work.cancel()
    for client in clients { client.beginGracefulShutdown() }
    await work.value
  }

  // MARK: Streaming

  private func streamLoop() async {
    var backoff = Self.initialBackoff
    while !Task.isCancelled {
      queue.set(.open)
      let outcome = await streamOnce()
      if Task.isCancelled { break }
      if queue.set(.down) { core.delegate?.unreachable(id) }
      if outcome.wasActive {
        backoff = Self.initialBackoff
        core.log(.warn, "lost TCP streaming connection with remote peer", [
          "stream-writer-type": "stream Message", "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(id),
          "error": outcome.error.map { "\($0)" } ?? "EOF",
        ])
      }
      if let error = outcome.error as? RPCError { handleRefusal(error) }
      current.add(1, ordering: .relaxed)
      do { try await Task.sleep(for: backoff) } catch { break }
      backoff = min(backoff * 2, Self.maxBackoff)
    }
  }

  private struct Outcome: Sendable {
    var wasActive: Bool
    var error: (any Error)?
  }

  private func streamOnce() async -> Outcome {
    let active = StreamFlag()
    var options = CallOptions.defaults
    options.waitForReady = false
    options.maxRequestMessageBytes = PeerWire.maxMessageBytes
    let metadata = PeerWire.identity(sender: core.options.memberID, target: id, cluster: core.options.clusterID)
    let request = StreamingClientRequest<[UInt8]>(metadata: metadata) { [queue, core, id] writer in
      while true {
        let batch = try await queue.nextBatch()
        let frame = MessageCodec.encode(batch)
        try await writer.write(frame)
        core.update(id) { $0.bytesSent += Int64(frame.count) }
      }
    }
    do {
      try await client.bidirectionalStreaming(
        request: request, descriptor: PeerWire.stream, serializer: RawBytesCoder(), deserializer: RawBytesCoder(),
        options: options
      ) { [core, id] response in
        for try await _ in response.messages where !active.value.load(ordering: .relaxed) {
          active.value.store(true, ordering: .relaxed)
          core.update(id) { $0.activeSince = .now }
          core.log(.info, "established a TCP streaming connection with remote peer", [
            "stream-writer-type": "stream Message", "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(id),
          ])
        }
      }
      return finish(active: active, error: nil)
    } catch {
      return finish(active: active, error: error)
    }
  }

  private func finish(active: StreamFlag, error: (any Error)?) -> Outcome {
    let wasActive = active.value.load(ordering: .relaxed)
    if wasActive { core.update(id) { $0.activeSince = nil } }
    return Outcome(wasActive: wasActive, error: error)
  }

  /// Reacts to the peer refusing us: cluster-ID mismatch (logged, rate-limited) or removal (delegate told once).
  func handleRefusal(_ error: RPCError) {
    if error.message == PeerWire.clusterMismatch {
      let now = ContinuousClock.now
      let due = lastMismatchLog.withLock { last -> Bool in
        if let last, now - last < Self.mismatchLogInterval { return false }
        last = now
        return true
      }
      guard due else { return }
      let remote = PeerWire.id(PeerWire.clusterKey, in: error.metadata).map(PeerWire.hex) ?? "unknown"
      let local = PeerWire.hex(core.options.clusterID)
      core.log(.error, "request sent was ignored (cluster ID mismatch: peer[\(PeerWire.hex(id))]=\(remote), local=\(local))", [
        "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(id), "remote-peer-cluster-id": remote,
        "local-member-cluster-id": local,
      ])
    } else if error.message == PeerWire.removedMember {
      guard !removedReported.exchange(true, ordering: .relaxed) else { return }
      core.log(.error, "the member has been permanently removed from the cluster", [
        "local-member-id": core.localID, "removed-by": PeerWire.hex(id),
      ])
      core.delegate?.removedFromCluster(by: id)
    }
  }
}

/// Whether the current stream was accepted by the peer (set from the response handler).
private final class StreamFlag: Sendable {
  let value = Atomic<Bool>(false)
}
