// Asking running members for the cluster's membership (a member joining with --initial-cluster-state existing).
import GRPCCore
import GRPCNIOTransportHTTP2

extension PeerTransport {
  /// Asks the members at `urls` (peer URLs), one after another, for the membership their delegate encodes; returns
  /// the first answer. Each try is bounded by `timeout`.
  /// - Throws: ``PeerTransportError/membershipUnavailable(urls:message:)`` when none answered (the message names
  ///   each URL's error), or a URL/TLS error.
  public static func fetchMembership(
    from urls: [String], tls: PeerTLSSettings?, timeout: Duration = .seconds(5)
  ) async throws(PeerTransportError) -> [UInt8] {
    var failures: [String] = []
    for text in urls {
      let client = try PeerLink.makeClient(url: try PeerURL(parsing: text), tls: tls)
      var options = CallOptions.defaults
      options.timeout = timeout
      options.waitForReady = false
      options.maxResponseMessageBytes = PeerWire.maxMessageBytes
      let result: Result<[UInt8], any Error> = await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await client.runConnections() }
        defer { client.beginGracefulShutdown() }
        do {
          return .success(try await client.unary(
            request: ClientRequest(message: []), descriptor: PeerWire.membership, serializer: RawBytesCoder(),
            deserializer: RawBytesCoder(), options: options) { try $0.message })
        } catch {
          return .failure(error)
        }
      }
      switch result {
      case .success(let bytes): return bytes
      case .failure(let error):
        failures.append("\(text): \((error as? RPCError)?.message ?? "\(error)")")
      }
    }
    throw .membershipUnavailable(urls: urls, message: failures.joined(separator: "; "))
  }
}
