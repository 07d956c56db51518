/// TLS settings for client connections, as etcdctl's --cacert, --cert, --key and --insecure-skip-tls-verify.
public struct EtcdTLS: Sendable, Hashable {
  /// PEM file of the CA that signed the servers' certificates; nil trusts the system roots.
  public var caFile: String?
  /// PEM client certificate for servers that require client-cert-auth.
  public var certFile: String?
  /// PEM private key of `certFile`.
  public var keyFile: String?
  /// Skip server certificate verification (testing only).
  public var insecureSkipVerify: Bool

  public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecureSkipVerify: Bool = false) {
    self.caFile = caFile
    self.certFile = certFile
    self.keyFile = keyFile
    self.insecureSkipVerify = insecureSkipVerify
  }
}
