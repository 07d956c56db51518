// The NIO side of one HTTP/1.1 client connection: collects a request (bounded body), runs the handler off the event
// loop, writes the whole or streamed (chunked) response, keeps the connection alive when the client asks.
import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests of one connection. Sits after NIO's HTTP codec and `HTTPServerPipelineHandler`, which
/// hands it one request at a time.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let handler: HTTPHandler
  private let maxBodyBytes: Int
  private let peerCommonName: String?

  private var head: HTTPRequestHead?
  private var body: [UInt8] = []
  private var bodySize = 0
  private var inFlight: Task<Void, Never>?
  private var streaming = false
  private var quiescing = false

  init(handler: @escaping HTTPHandler, maxBodyBytes: Int, peerCommonName: String?) {
    self.handler = handler
    self.maxBodyBytes = maxBodyBytes
    self.peerCommonName = peerCommonName
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let requestHead):
      head = requestHead
      body.removeAll(keepingCapacity: true)
      bodySize = 0
      // curl sends `Expect: 100-continue` with bodies over 1 KiB and waits a second for this interim answer.
      if requestHead.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
        let interim = HTTPResponseHead(version: requestHead.version, status: .continue)
        context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
      }
    case .body(let buffer):
      bodySize += buffer.readableBytes
      if bodySize <= maxBodyBytes {
        body.append(contentsOf: buffer.readableBytesView)
      } else if !body.isEmpty {
        body = []
      }
    case .end:
      guard let head else { return }
      self.head = nil
      start(head, context: context)
    }
  }

  private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
    let (path, query) = HTTPRequest.split(target: head.uri)
    let request = HTTPRequest(
      method: head.method.rawValue, path: path, query: query, headers: head.headers, body: body,
      peerCommonName: peerCommonName)
    body = []
    let tooLarge = bodySize > maxBodyBytes
    let keepAlive = head.isKeepAlive && !tooLarge
    let (size, limit) = (bodySize, maxBodyBytes)
    let version = head.version
    let omitBody = head.method == .HEAD
    let handler = self.handler
    let loop = context.eventLoop
    let bound = NIOLoopBound((self, context), eventLoop: loop)
    inFlight = Task {
      let response = tooLarge ? HTTPResponse.bodyTooLarge(size: size, limit: limit) : await handler(request)
      switch response.body {
      case .bytes(let bytes):
        loop.execute {
          let (this, context) = bound.value
          this.writeWhole(response, bytes: bytes, omitBody: omitBody, version: version, keepAlive: keepAlive,
                          context: context)
        }
      case .stream(let producer):
        loop.execute {
          let (this, context) = bound.value
          this.streaming = true
          this.writeHead(response, version: version, keepAlive: keepAlive, contentLength: nil, context: context)
          context.flush()
          if this.quiescing { this.inFlight?.cancel() }
        }
        let writer = HTTPStreamWriter { bytes in
          try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            let (this, context) = bound.value
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            return context.writeAndFlush(this.wrapOutboundOut(.body(.byteBuffer(buffer))))
          }.get()
        }
        try? await producer(writer)
        let trailers = response.trailers
        loop.execute {
          let (this, context) = bound.value
          this.finish(keepAlive: keepAlive, trailers: trailers.isEmpty ? nil : trailers, context: context)
        }
      }
    }
  }

  private func writeHead(
    _ response: HTTPResponse, version: HTTPVersion, keepAlive: Bool, contentLength: Int?, context: ChannelHandlerContext
  ) {
    var headers = response.headers
    // Without Content-Length, NIO's encoder adds `transfer-encoding: chunked` (HTTP/1.1).
    if let contentLength { headers.replaceOrAdd(name: "Content-Length", value: String(contentLength)) }
    if !keepAlive || quiescing { headers.replaceOrAdd(name: "Connection", value: "close") }
    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))),
                  promise: nil)
  }

  /// Writes a response with Content-Length; a HEAD request gets the head only.
  private func writeWhole(
    _ response: HTTPResponse, bytes: [UInt8], omitBody: Bool, version: HTTPVersion, keepAlive: Bool,
    context: ChannelHandlerContext
  ) {
    writeHead(response, version: version, keepAlive: keepAlive, contentLength: bytes.count, context: context)
    if !bytes.isEmpty && !omitBody {
      var buffer = context.channel.allocator.buffer(capacity: bytes.count)
      buffer.writeBytes(bytes)
      context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }
    finish(keepAlive: keepAlive, context: context)
  }

  private func finish(keepAlive: Bool, trailers: HTTPHeaders? = nil, context: ChannelHandlerContext) {
    streaming = false
    inFlight = nil
    let close = !keepAlive || quiescing
    let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
    if close {
      let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
      written.whenComplete { _ in bound.value.close(promise: nil) }
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    inFlight?.cancel()
    inFlight = nil
    context.fireChannelInactive()
  }

  /// Graceful shutdown (called by ``HTTPQuiesceObserver``): a streamed response (open-ended, such as a watch) is
  /// cancelled, so it ends and the connection can close. NIO's `HTTPServerPipelineHandler` does the rest: an idle
  /// connection closes at once, a whole response in progress completes with `connection: close`.
  func quiesce() {
    quiescing = true
    if streaming { inFlight?.cancel() }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }
}

/// Sits before NIO's `HTTPServerPipelineHandler`, which consumes the shutdown event, and tells the connection
/// handler about it first. (The event does not travel on to the gRPC handlers either, which would otherwise close
/// the connection under a running HTTP request.)
final class HTTPQuiesceObserver: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias InboundOut = HTTPServerRequestPart

  private let connection: HTTPConnectionHandler

  init(connection: HTTPConnectionHandler) { self.connection = connection }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is ChannelShouldQuiesceEvent { connection.quiesce() }
    context.fireUserInboundEventTriggered(event)
  }
}
