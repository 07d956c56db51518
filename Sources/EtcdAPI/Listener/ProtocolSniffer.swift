// Splits one port between gRPC (HTTP/2) and HTTP/1.1, the way etcd serves its client port.
import NIOCore
import NIOHTTP1
import NIOSSL

/// Placed before the gRPC handlers of every accepted connection (after TLS, when used). It buffers inbound bytes
/// and holds back what the gRPC side writes (its HTTP/2 SETTINGS) until it knows the protocol:
/// - the 24-byte HTTP/2 client preface: replay the held writes and pass everything on to gRPC;
/// - anything else: drop the held writes, insert the HTTP/1.1 codec and ``HTTPConnectionHandler`` before itself,
///   and feed them the buffered bytes. The gRPC handlers stay in place (the transport closes a connection whose
///   inbound stream ends) but see no more bytes, and whatever they write is dropped.
final class ProtocolSniffer: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = IOData
  typealias OutboundOut = IOData

  /// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
  static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

  private enum Mode { case sniffing, grpc, http }

  private var mode = Mode.sniffing
  private var buffered: ByteBuffer?
  private var heldWrites: [(IOData, EventLoopPromise<Void>?)] = []
  private var heldFlush = false
  private let makeHTTPHandler: (_ peerCommonName: String?) -> HTTPConnectionHandler
  private let tls: Bool

  init(tls: Bool, makeHTTPHandler: @escaping (_ peerCommonName: String?) -> HTTPConnectionHandler) {
    self.tls = tls
    self.makeHTTPHandler = makeHTTPHandler
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch mode {
    case .grpc:
      context.fireChannelRead(data)
    case .http:
      break  // The HTTP/1 handlers before us consume everything; nothing should arrive.
    case .sniffing:
      var incoming = unwrapInboundIn(data)
      if buffered == nil { buffered = incoming } else { buffered!.writeBuffer(&incoming) }
      decide(context: context)
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    if mode == .grpc { context.fireChannelReadComplete() }
  }

  private func decide(context: ChannelHandlerContext) {
    guard let bytes = buffered else { return }
    let view = bytes.readableBytesView
    let compared = min(view.count, Self.http2Preface.count)
    let matches = view.prefix(compared).elementsEqual(Self.http2Preface.prefix(compared))
    if matches && compared < Self.http2Preface.count { return }  // Need more bytes.
    buffered = nil
    if matches {
      switchToGRPC(context: context, bytes: bytes)
    } else {
      switchToHTTP(context: context, bytes: bytes)
    }
  }

  private func switchToGRPC(context: ChannelHandlerContext, bytes: ByteBuffer) {
    mode = .grpc
    let writes = heldWrites
    heldWrites = []
    for (data, promise) in writes { context.write(wrapOutboundOut(data), promise: promise) }
    if heldFlush { context.flush() }
    heldFlush = false
    context.fireChannelRead(wrapInboundOut(bytes))
    context.fireChannelReadComplete()
  }

  private func switchToHTTP(context: ChannelHandlerContext, bytes: ByteBuffer) {
    mode = .http
    let writes = heldWrites
    heldWrites = []
    heldFlush = false
    for (_, promise) in writes { promise?.succeed(()) }
    let operations = context.pipeline.syncOperations
    do {
      let peerName = try? operations.handler(type: PeerIdentityHandler.self).commonName
      try operations.configureHTTPServerPipeline(position: .before(self), withPipeliningAssistance: true,
                                                 withErrorHandling: true)
      let handler = makeHTTPHandler(peerName)
      try operations.addHandler(handler, position: .before(self))
      let pipelining = try operations.handler(type: HTTPServerPipelineHandler.self)
      try operations.addHandler(HTTPQuiesceObserver(connection: handler), position: .before(pipelining))
      // Deliver the buffered bytes to the HTTP decoder: from the pipeline head in plaintext, from just after the
      // TLS handler (which already decrypted them) with TLS.
      if tls {
        let tlsContext = try operations.context(handlerType: NIOSSLServerHandler.self)
        tlsContext.fireChannelRead(NIOAny(bytes))
        tlsContext.fireChannelReadComplete()
      } else {
        context.pipeline.fireChannelRead(bytes)
        context.pipeline.fireChannelReadComplete()
      }
    } catch {
      context.close(promise: nil)
    }
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    switch mode {
    case .grpc: context.write(data, promise: promise)
    case .sniffing: heldWrites.append((unwrapOutboundIn(data), promise))
    case .http: promise?.succeed(())
    }
  }

  func flush(context: ChannelHandlerContext) {
    switch mode {
    case .grpc: context.flush()
    case .sniffing: heldFlush = true
    case .http: break
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    let writes = heldWrites
    heldWrites = []
    for (_, promise) in writes { promise?.fail(ChannelError.ioOnClosedChannel) }
    context.fireChannelInactive()
  }
}
