// Module PeerTransport: the member-to-member transport of swetcd clusters over gRPC (our own protocol, not etcd's).
// One long-lived message stream per peer, snapshots on their own calls, clock probing, cluster/member ID checks.
import GRPCCore
import GRPCNIOTransportHTTP2
import Raft
import Synchronization

/// Sends Raft messages to peers and receives theirs.
///
/// ```swift
/// let transport = try PeerTransport(options: .init(memberID: 1, clusterID: 7, listenURLs: ["http://127.0.0.1:2380"]),
///                                   delegate: member)
/// try await transport.start()
/// transport.setPeer(2, urls: ["http://10.0.0.2:2380"])
/// transport.send(ready.messages)   // never blocks
/// ...
/// await transport.stop()
/// ```
public final class PeerTransport: Sendable {
  typealias Server = GRPCServer<HTTP2ServerTransport.Posix>

  private struct Running: Sendable {
    var server: Server
    var task: Task<Void, Never>
  }

  private struct State: Sendable {
    var links: [UInt64: PeerLink] = [:]
    var servers: [Running] = []
    var snapshotTasks: [UInt64: Task<Void, Never>] = [:]
    var nextSnapshotTask: UInt64 = 0
    var started = false
    var stopped = false
  }

  private let core: PeerCore
  private let listenURLs: [PeerURL]
  private let state = Mutex(State())

  /// Checks the options (URLs, TLS files); nothing is bound or dialed until ``start()``.
  public init(options: PeerTransportOptions, delegate: any PeerTransportDelegate) throws(PeerTransportError) {
    var urls: [PeerURL] = []
    for text in options.listenURLs {
      let url = try PeerURL(parsing: text)
      if url.secure {
        guard let tls = options.tls, !tls.certFile.isEmpty else { throw .missingTLS(url: text) }
        try tls.validate()
      }
      urls.append(url)
    }
    self.listenURLs = urls
    self.core = PeerCore(options: options, delegate: delegate)
  }

  /// The actual addresses served (real ports when port 0 was asked), in `listenURLs` order, once started.
  public private(set) var boundURLs: [String] {
    get { boundStore.withLock { $0 } }
    set { boundStore.withLock { $0 = newValue } }
  }
  private let boundStore = Mutex<[String]>([])

  /// Binds the listeners. Throws ``PeerTransportError/bindFailed(url:message:)`` naming the URL that failed.
  public func start() async throws(PeerTransportError) {
    let proceed = state.withLock { state -> Bool in
      defer { state.started = true }
      return !state.started && !state.stopped
    }
    guard proceed else { throw .invalidState("start() was called twice or after stop()") }
    var bound: [String] = []
    for url in listenURLs {
      do {
        bound.append(try await serve(url))
      } catch {
        await stop()
        throw error
      }
    }
    boundURLs = bound
  }

  private func serve(_ url: PeerURL) async throws(PeerTransportError) -> String {
    let host = url.host == "localhost" ? "127.0.0.1" : url.host
    let address: GRPCNIOTransportCore.SocketAddress = url.isIPv6 ? .ipv6(host: host, port: url.port) : .ipv4(host: host, port: url.port)
    var config = HTTP2ServerTransport.Posix.Config.defaults
    config.rpc.maxRequestPayloadSize = PeerWire.maxMessageBytes
    config.connection.keepalive.clientBehavior = .init(minPingIntervalWithoutCalls: .seconds(5), allowWithoutCalls: true)
    let security: HTTP2ServerTransport.Posix.TransportSecurity = url.secure ? core.options.tls!.serverSecurity : .plaintext
    let transport = HTTP2ServerTransport.Posix(address: address, transportSecurity: security, config: config)
    let server = GRPCServer(transport: transport, services: [PeerService(core: core)])
    let task = Task {
      do { try await server.serve() } catch {
        core.log(.error, "peer listener stopped", ["address": url.description, "error": "\(error)"])
      }
    }
    state.withLock { $0.servers.append(Running(server: server, task: task)) }
    do {
      let listening = try await transport.listeningAddress
      let port = listening.ipv4?.port ?? listening.ipv6?.port ?? url.port
      let shown = PeerURL(secure: url.secure, host: url.host, port: port).description
      core.log(.info, "now serving peer traffic", ["address": shown])
      return shown
    } catch {
      throw .bindFailed(url: url.description, message: "\(error)")
    }
  }

  /// Stops the listeners, every peer stream and snapshot transfer. Idempotent.
  public func stop() async {
    let (links, servers, snapshots) = state.withLock { state in
      defer {
        state.stopped = true
        state.links = [:]
        state.servers = []
        state.snapshotTasks = [:]
      }
      return (Array(state.links.values), state.servers, Array(state.snapshotTasks.values))
    }
    for task in snapshots { task.cancel() }
    core.beginStopping()
    await withTaskGroup(of: Void.self) { group in
      for link in links { group.addTask { await link.stop() } }
      for task in snapshots { group.addTask { await task.value } }
    }
    await withTaskGroup(of: Void.self) { group in
      for running in servers {
        group.addTask {
          running.server.beginGracefulShutdown()
          await Self.wait(for: running.task, orCancelAfter: Self.stopGracePeriod)
        }
      }
    }
  }

  /// How long stopping listeners wait for in-flight calls (snapshot receptions) before cancelling them.
  static let stopGracePeriod = Duration.seconds(5)

  private static func wait(for task: Task<Void, Never>, orCancelAfter grace: Duration) async {
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        await task.value
        return true
      }
      group.addTask {
        try? await Task.sleep(for: grace)
        return false
      }
      if await group.next() == false { task.cancel() }
      group.cancelAll()
    }
    await task.value
  }

  /// Adds peer `id` or changes its URLs (the old stream is closed and a new one dialed). Invalid URLs are logged.
  public func setPeer(_ id: UInt64, urls: [String]) {
    if let existing = state.withLock({ $0.links[id] }), existing.urls == urls { return }
    let link: PeerLink
    do { link = try PeerLink(id: id, urls: urls, core: core) } catch {
      core.log(.error, "cannot add remote peer", ["remote-peer-id": PeerWire.hex(id), "error": error.description])
      return
    }
    // Started while installed under the lock: a `stop()` either sees the link (and stops it) or came first (and the
    // link never starts).
    let (installed, replaced) = state.withLock { state -> (Bool, PeerLink?) in
      guard !state.stopped else { return (false, nil) }
      defer {
        state.links[id] = link
        link.start()
      }
      return (true, state.links[id])
    }
    guard installed else { return }
    core.log(.info, replaced == nil ? "added remote peer" : "updated remote peer", [
      "local-member-id": core.localID, "remote-peer-id": PeerWire.hex(id), "remote-peer-urls": urls.joined(separator: ","),
    ])
    if let replaced { Task { await replaced.stop() } }
  }

  /// Removes peer `id`: its stream and connections are closed.
  public func removePeer(_ id: UInt64) {
    guard let link = state.withLock({ $0.links.removeValue(forKey: id) }) else { return }
    core.forget(id)
    core.log(.info, "removed remote peer", ["local-member-id": core.localID, "remote-peer-id": PeerWire.hex(id)])
    Task { await link.stop() }
  }

  /// Queues `messages` for their recipients without blocking. Messages to a peer whose queue is full or whose last
  /// connection attempt failed are dropped and the peer reported unreachable (once per peer per call). `.snapshot`
  /// messages go on their own call.
  public func send(_ messages: [Message]) {
    guard !messages.isEmpty else { return }
    var start = 0
    while start < messages.count {
      let to = messages[start].to
      var end = start + 1
      while end < messages.count && messages[end].to == to { end += 1 }
      deliver(messages[start..<end], to: to)
      start = end
    }
  }

  private func deliver(_ messages: ArraySlice<Message>, to id: UInt64) {
    guard let link = state.withLock({ $0.links[id] }) else {
      core.log(.debug, "ignored message send request; unknown remote peer target", ["unknown-target-peer-id": PeerWire.hex(id)])
      return
    }
    var accepted = true
    if messages.contains(where: { $0.type == .snapshot }) {
      for message in messages {
        if message.type == .snapshot { startSnapshot(message, link: link) } else { accepted = link.queue.enqueue(CollectionOfOne(message)) && accepted }
      }
    } else {
      accepted = link.queue.enqueue(messages)
    }
    if !accepted {
      core.log(.debug, "dropped internal Raft message since sending buffer is full or the peer is unreachable", [
        "remote-peer-id": PeerWire.hex(id),
      ])
      core.delegate?.unreachable(id)
    }
  }

  private func startSnapshot(_ message: Message, link: PeerLink) {
    state.withLock { state in
      guard !state.stopped else { return }
      let key = state.nextSnapshotTask
      state.nextSnapshotTask += 1
      state.snapshotTasks[key] = Task { [self] in
        await link.sendSnapshot(message)
        _ = self.state.withLock { $0.snapshotTasks.removeValue(forKey: key) }
      }
    }
  }

  /// Per-peer status: stream active, smoothed RTT, clock difference, bytes sent/received.
  public func peerStatus() -> [UInt64: PeerStatus] {
    let ids = state.withLock { Array($0.links.keys) }
    var result = core.allStatuses()
    for id in ids where result[id] == nil { result[id] = PeerStatus() }
    return result
  }
}
