// The JSON web token format etcd 3.4 issues (RFC 7519 compact form): base64url(header).base64url(claims).signature,
// header {"alg":M,"typ":"JWT"}, claims {"exp":unix seconds,"revision":auth revision,"username":name}.

import Foundation

/// A `sign-method` etcd accepts in `--auth-token jwt,...`.
public enum JWTSigningMethod: String, Sendable, CaseIterable {
  case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
  case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
  case es256 = "ES256", es384 = "ES384", es512 = "ES512"
  case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
}

/// Encoding and decoding of the token text (signing is the provider's).
enum JWT {
  /// The claims etcd puts in a token.
  struct Claims: Equatable {
    var username: String
    var revision: UInt64
    var expires: Int64?
  }

  /// "header.claims": the signed part of a token.
  static func signingInput(method: JWTSigningMethod, claims: Claims) -> String {
    let header = #"{"alg":"\#(method.rawValue)","typ":"JWT"}"#
    // Keys in sorted order, as Go's map marshalling writes them.
    var body = "{"
    if let expires = claims.expires { body += #""exp":\#(expires),"# }
    body += #""revision":\#(claims.revision),"username":\#(jsonStringLiteral(claims.username))}"#
    return base64URL(Array(header.utf8)) + "." + base64URL(Array(body.utf8))
  }

  /// Splits a token into its signing input, header algorithm, claims and signature; nil when malformed.
  static func parse(_ token: String) -> (input: Substring, alg: String, claims: Claims, signature: [UInt8])? {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let headerBytes = decodeBase64URL(parts[0]), let claimBytes = decodeBase64URL(parts[1]),
      let signature = decodeBase64URL(parts[2]),
      let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
      let alg = header["alg"] as? String,
      let object = try? JSONSerialization.jsonObject(with: Data(claimBytes)) as? [String: Any],
      let username = object["username"] as? String,
      let revision = (object["revision"] as? NSNumber)?.doubleValue, revision >= 0, revision < 1.8e19
    else { return nil }
    var expires: Int64?
    if let exp = object["exp"] {
      guard let number = (exp as? NSNumber)?.doubleValue else { return nil }
      expires = Int64(number)
    }
    let input = token[token.startIndex..<parts[1].endIndex]
    return (input, alg, Claims(username: username, revision: UInt64(revision), expires: expires), signature)
  }

  /// Base64url without padding.
  static func base64URL(_ bytes: [UInt8]) -> String {
    var text = Data(bytes).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
  }

  /// Decodes base64url with or without padding; nil when not base64url.
  static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
    guard !text.contains("+"), !text.contains("/") else { return nil }
    var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    while standard.count % 4 != 0 { standard += "=" }
    return Data(base64Encoded: standard).map { [UInt8]($0) }
  }
}
