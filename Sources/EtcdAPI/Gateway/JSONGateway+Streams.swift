// The gateway's streaming calls: watch, lease keep-alive, snapshot, election observe. The request body holds the
// client's messages one JSON value after another; the answer is chunked, one `{"result":{...}}` line per message,
// written as the member produces them (each write waits for the connection: back-pressure), ended when the call
// ends or the client goes away (the HTTP side then cancels the producing task).

import EtcdProto
import EtcdServer
import Foundation
import MVCC
import SwiftProtobuf

extension JSONGateway {
  /// /v3/watch: the body's WatchRequests go to one watch stream, which stays open after the body ends (as etcd's
  /// watch server keeps a stream whose client closed its side) until the client disconnects.
  func watch() -> HTTPHandler {
    let server = self.server
    return { request in
      let requests: [Etcdserverpb_WatchRequest]
      switch Self.decodeStream(Etcdserverpb_WatchRequest.self, request.body) {
      case .refused(let status): return GatewayCoding.refusal(status)
      case .message(let decoded): requests = decoded
      }
      let caller = Caller(gatewayRequest: request)
      return Self.streamed { writer in
        let stream = server.openWatchStream()
        defer { stream.close() }
        for message in requests {
          if let refused = server.apply(message, to: stream, caller: caller) {
            try await writer.write(Self.resultLine(refused))
          }
        }
        for await answer in stream { try await writer.write(Self.resultLine(server.watchResponse(answer))) }
      }
    }
  }

  /// /v3/lease/keepalive: one answer per LeaseKeepAliveRequest in the body, then the stream ends.
  func leaseKeepAlive() -> HTTPHandler {
    let server = self.server
    return { request in
      let requests: [Etcdserverpb_LeaseKeepAliveRequest]
      switch Self.decodeStream(Etcdserverpb_LeaseKeepAliveRequest.self, request.body) {
      case .refused(let status): return GatewayCoding.refusal(status)
      case .message(let decoded): requests = decoded
      }
      let caller = Caller(gatewayRequest: request)
      return Self.streamed { writer in
        for message in requests {
          do {
            try await writer.write(Self.resultLine(try server.leaseKeepAlive(message, caller: caller)))
          } catch let error as ServerError {
            try await writer.write(Self.errorLine(GatewayStatus(error)))
            return
          }
        }
      }
    }
  }

  /// /v3/maintenance/snapshot: the database in chunks (the last one ends with its SHA-256, as the gRPC stream).
  func snapshot() -> HTTPHandler {
    let server = self.server
    return { request in
      if case .refused(let status) = GatewayCoding.decode(Etcdserverpb_SnapshotRequest.self, from: request.body) {
        return GatewayCoding.refusal(status)
      }
      let caller = Caller(gatewayRequest: request)
      return Self.streamed { writer in
        do {
          try await server.snapshot(caller: caller) { try await writer.write(Self.resultLine($0)) }
        } catch let error as ServerError {
          try await writer.write(Self.errorLine(GatewayStatus(error)))
        }
      }
    }
  }

  /// /v3/election/observe: the leader now and after every change, until the client goes away.
  func observe() -> HTTPHandler {
    let server = self.server
    return { request in
      let message: V3electionpb_LeaderRequest
      switch GatewayCoding.decode(V3electionpb_LeaderRequest.self, from: request.body) {
      case .refused(let status): return GatewayCoding.refusal(status)
      case .message(let decoded): message = decoded
      }
      let caller = Caller(gatewayRequest: request)
      return Self.streamed { writer in
        do {
          try await server.observe(message, caller: caller) { try await writer.write(Self.resultLine($0)) }
        } catch let error as ServerError {
          try await writer.write(Self.errorLine(GatewayStatus(error)))
        }
      }
    }
  }

  // MARK: Stream plumbing

  /// A chunked 200 answer with etcd's gateway headers, produced by `body`.
  static func streamed(_ body: @escaping @Sendable (HTTPStreamWriter) async throws -> Void) -> HTTPResponse {
    HTTPResponse(
      status: .ok,
      headers: ["Content-Type": "application/json", GatewayCoding.grpcMetadataHeader.0: GatewayCoding.grpcMetadataHeader.1],
      body: .stream(body))
  }

  /// `{"result":<message>}` and a newline.
  static func resultLine(_ message: some SwiftProtobuf.Message) -> [UInt8] {
    let json = GatewayCoding.encode(message)
    var line: [UInt8] = []
    line.reserveCapacity(json.count + 12)
    line.append(contentsOf: #"{"result":"#.utf8)
    line.append(contentsOf: json)
    line.append(contentsOf: "}\n".utf8)
    return line
  }

  /// grpc-gateway's stream error object and a newline.
  static func errorLine(_ status: GatewayStatus) -> [UInt8] { Array((status.streamLine + "\n").utf8) }

  /// The client messages of a stream body. A body that does not start with a valid message is refused as etcd's
  /// gateway refuses it (500, code Unknown); a bad message later ends the list (the stream then ends after the
  /// answers to the messages before it, as with etcd).
  static func decodeStream<M: SwiftProtobuf.Message>(_: M.Type, _ body: [UInt8]) -> Decoded<[M]> {
    var scanner = GatewayJSONScanner(body)
    var messages: [M] = []
    while true {
      let failure: GatewayStatus
      switch scanner.next() {
      case .end: return .message(messages)
      case .syntaxError(let text): failure = GatewayStatus(code: GatewayStatus.unknown, message: text)
      case .value(let range):
        switch GatewayCoding.decodeValue(M.self, body[range], code: GatewayStatus.unknown) {
        case .message(let message):
          messages.append(message)
          continue
        case .refused(let status): failure = status
        }
      }
      return messages.isEmpty ? .refused(failure) : .message(messages)
    }
  }
}
