// The JSON side of etcd 3.4's gateway: grpc-gateway's JSONPb marshaler with OrigName (proto field names, int64 as
// strings, bytes as base64, enums by name, default values left out), its error bodies and its HTTP status table.

import EtcdServer
import NIOHTTP1
import SwiftProtobuf

/// A gRPC status the gateway reports: etcd's code and text.
struct GatewayStatus: Sendable, Equatable {
  var code: Int
  var message: String

  /// A refusal of the server, with its etcd code and text.
  init(_ error: ServerError) {
    code = error.code.rawValue
    message = error.description
  }

  init(code: Int, message: String) {
    self.code = code
    self.message = message
  }

  static let invalidArgument = 3
  static let unknown = 2
  static let resourceExhausted = 8
  static let unimplemented = 12

  /// grpc-gateway 1.x's table from gRPC codes to HTTP statuses (`runtime.HTTPStatusFromCode`).
  var httpStatus: HTTPResponseStatus {
    switch code {
    case 0: .ok
    case 1: .requestTimeout
    case 2: .internalServerError
    case 3: .badRequest
    case 4: .gatewayTimeout
    case 5: .notFound
    case 6: .conflict
    case 7: .forbidden
    case 8: .tooManyRequests
    case 9: .preconditionFailed
    case 10: .conflict
    case 11: .badRequest
    case 12: .notImplemented
    case 13: .internalServerError
    case 14: .serviceUnavailable
    case 15: .internalServerError
    case 16: .unauthorized
    default: .internalServerError
    }
  }

  /// The name grpc-gateway puts in a stream error's `http_status` (Go's `http.StatusText`).
  var httpStatusText: String { httpStatus.reasonPhrase }

  /// `{"error":...,"message":...,"code":N}`: grpc-gateway's error body (etcd 3.4 has no `details`).
  var body: String {
    let text = jsonStringLiteral(message, escapingHTML: true)
    return "{\"error\":\(text),\"message\":\(text),\"code\":\(code)}"
  }

  /// The line a stream ends with when the call fails after it began.
  var streamLine: String {
    let status = httpStatus
    return "{\"error\":{\"grpc_code\":\(code),\"http_code\":\(status.code),\"message\":\(jsonStringLiteral(message, escapingHTML: true)),"
      + "\"http_status\":\(jsonStringLiteral(httpStatusText, escapingHTML: true))}}"
  }
}

/// Encoding and decoding of gateway messages.
enum GatewayCoding {
  static let encoding: JSONEncodingOptions = {
    var options = JSONEncodingOptions()
    options.preserveProtoFieldNames = true
    return options
  }()

  /// Strict decoding first: it tells an unknown enum name (an error in Go's decoder too) from an unknown field
  /// (ignored by grpc-gateway's decoder), which the lenient pass then skips.
  static let strictDecoding = JSONDecodingOptions()

  static let lenientDecoding: JSONDecodingOptions = {
    var options = JSONDecodingOptions()
    options.ignoreUnknownFields = true
    return options
  }()

  /// The header etcd's gateway puts on every answer the gRPC call gave.
  static let grpcMetadataHeader = ("Grpc-Metadata-Content-Type", "application/grpc")
  /// The trailer of an answer that carries the gRPC call's error.
  static let grpcTrailerName = "Grpc-Trailer-Content-Type"

  /// `message` as JSON bytes.
  static func encode(_ message: some SwiftProtobuf.Message) -> [UInt8] {
    (try? message.jsonUTF8Bytes(options: encoding)) ?? Array("{}".utf8)
  }

  /// A successful unary answer.
  static func response(_ message: some SwiftProtobuf.Message) -> HTTPResponse {
    var response = HTTPResponse(status: .ok, contentType: "application/json", body: encode(message))
    response.headers.add(name: grpcMetadataHeader.0, value: grpcMetadataHeader.1)
    return response
  }

  /// The answer to a request the gateway itself refused (it never reached the server): Content-Length, no trailer.
  static func refusal(_ status: GatewayStatus) -> HTTPResponse {
    .json(status.body, status: status.httpStatus)
  }

  /// The answer carrying a server refusal: as etcd, chunked, with a `Grpc-Trailer-Content-Type` trailer.
  static func failure(_ status: GatewayStatus) -> HTTPResponse {
    let bytes = Array(status.body.utf8)
    var response = HTTPResponse(
      status: status.httpStatus, headers: ["Content-Type": "application/json", "Trailer": grpcTrailerName],
      body: .stream { writer in try await writer.write(bytes) })
    response.trailers = [grpcTrailerName: "application/grpc"]
    return response
  }

  /// Decodes the first JSON value of `body` as `M` (an empty body is an empty request, as in etcd).
  static func decode<M: SwiftProtobuf.Message>(_: M.Type, from body: [UInt8], code: Int = GatewayStatus.invalidArgument)
    -> Decoded<M>
  {
    var scanner = GatewayJSONScanner(body)
    switch scanner.next() {
    case .end: return .message(M())
    case .syntaxError(let text): return .refused(GatewayStatus(code: code, message: text))
    case .value(let range): return decodeValue(M.self, body[range], code: code)
    }
  }

  /// Decodes one JSON value already delimited by the scanner.
  static func decodeValue<M: SwiftProtobuf.Message>(_: M.Type, _ value: ArraySlice<UInt8>, code: Int) -> Decoded<M> {
    guard let first = value.first else { return .message(M()) }
    switch first {
    case UInt8(ascii: "{"): break
    case UInt8(ascii: "n"): return .message(M())
    default:
      let kind: String
      switch first {
      case UInt8(ascii: "["): kind = "array"
      case UInt8(ascii: "\""): kind = "string"
      case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "bool"
      default: kind = "number"
      }
      return .refused(GatewayStatus(
        code: code, message: "json: cannot unmarshal \(kind) into Go value of type map[string]json.RawMessage"))
    }
    let bytes = Array(value)
    do {
      return .message(try M(jsonUTF8Bytes: bytes, options: strictDecoding))
    } catch JSONDecodingError.unknownField(_) {
      do {
        return .message(try M(jsonUTF8Bytes: bytes, options: lenientDecoding))
      } catch {
        return .refused(GatewayStatus(code: code, message: goText(for: error, in: value)))
      }
    } catch {
      return .refused(GatewayStatus(code: code, message: goText(for: error, in: value)))
    }
  }

  /// Go's text for a value error where it can be told (bad base64), else the decoder's description.
  private static func goText(for error: any Error, in value: ArraySlice<UInt8>) -> String {
    if let offset = firstBadBase64Offset(in: value) { return "illegal base64 data at input byte \(offset)" }
    if let error = error as? JSONDecodingError {
      switch error {
      case .malformedNumber, .numberRange, .leadingZero:
        return "json: cannot unmarshal a value into an integer field (\(error))"
      case .unrecognizedEnumValue:
        return "unknown value for an enum field (\(error)); use one of the enum's names, as in the .proto"
      case .malformedBool: return "json: cannot unmarshal a value into a bool field (\(error))"
      default: break
      }
    }
    return "proto: \(error)"
  }

  /// The offset Go's base64 decoder reports for the first string value with a byte outside the base64 alphabet.
  /// (Only used after the protobuf decoder failed; enum names and numbers in strings are plain letters and digits.)
  private static func firstBadBase64Offset(in value: ArraySlice<UInt8>) -> Int? {
    var index = value.startIndex
    var afterColon = false
    while index < value.endIndex {
      let byte = value[index]
      if byte == UInt8(ascii: ":") { afterColon = true }
      if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "{") { afterColon = false }
      guard byte == UInt8(ascii: "\"") else {
        index += 1
        continue
      }
      var end = index + 1
      while end < value.endIndex, value[end] != UInt8(ascii: "\"") { end += value[end] == UInt8(ascii: "\\") ? 2 : 1 }
      if afterColon, let bad = value[(index + 1)..<min(end, value.endIndex)].firstIndex(where: { !isBase64($0) }) {
        return bad - index - 1
      }
      index = end + 1
    }
    return nil
  }

  private static func isBase64(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
      UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
      true
    default: false
    }
  }
}

/// A decoded request or the gateway's refusal of it.
enum Decoded<M> {
  case message(M)
  case refused(GatewayStatus)
}
