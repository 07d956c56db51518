// Who sent a client request, as the API layer sees it before auth looks at it: the token the request carried (gRPC
// metadata "token"/"authorization", or the gateway's Authorization header) and the common name of the verified TLS
// client certificate. `AuthStore.authInfo(token:commonName:viaGateway:)` turns it into an identity when auth is on.

/// The credentials a client request arrived with.
public struct Caller: Sendable, Hashable {
  /// The auth token, if the request carried one.
  public var token: String?
  /// The common name of the verified client certificate (with `--client-cert-auth`), if any.
  public var commonName: String?
  /// True for requests the JSON gateway proxied: etcd never takes the TLS common name of those as the user.
  public var viaGateway: Bool

  /// Creates a caller.
  public init(token: String? = nil, commonName: String? = nil, viaGateway: Bool = false) {
    self.token = token
    self.commonName = commonName
    self.viaGateway = viaGateway
  }

  /// A request with no credentials (auth then refuses it when enabled).
  public static let anonymous = Caller()
}
