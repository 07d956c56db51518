// TLS settings of a client listener (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth, --cipher-suites,
// --auto-tls) and the NIOSSL context built from them.
import Foundation
import NIOSSL
import PKI

/// TLS for one https listener. TLS 1.2 is the minimum, as in etcd.
public struct ListenerTLS: Sendable, Hashable {
  /// PEM certificate chain of the server (`--cert-file`).
  public var certFile: String
  /// PEM private key of the server (`--key-file`).
  public var keyFile: String
  /// PEM CA bundle that client certificates must chain to (`--trusted-ca-file`).
  public var trustedCAFile: String?
  /// Require and verify a client certificate (`--client-cert-auth`); its common name becomes visible to handlers.
  public var clientCertAuth: Bool
  /// Allowed cipher suites by Go/etcd names (`--cipher-suites`); empty means the TLS library's defaults.
  public var cipherSuites: [String]

  public init(
    certFile: String, keyFile: String, trustedCAFile: String? = nil, clientCertAuth: Bool = false,
    cipherSuites: [String] = []
  ) {
    self.certFile = certFile
    self.keyFile = keyFile
    self.trustedCAFile = trustedCAFile
    self.clientCertAuth = clientCertAuth
    self.cipherSuites = cipherSuites
  }

  /// ALPN protocols in server preference order. HTTP/1.1 comes first so that curl and browsers, which offer both,
  /// get HTTP/1.1 (the JSON gateway speaks only HTTP/1.1); gRPC clients offer only `h2` and get it.
  public static let applicationProtocols = ["http/1.1", "h2"]

  /// `--auto-tls`: a self-signed certificate for `hosts` (IP addresses and DNS names) in `directory`
  /// (etcd uses `<data-dir>/fixtures/client`). Existing `cert.pem`/`key.pem` there are reused, as etcd does.
  /// The certificate is issued by a throw-away CA made with PKI, valid for one year.
  public static func selfSigned(
    directory: String, hosts: [String], commonName: String = "etcd", cipherSuites: [String] = []
  ) throws -> ListenerTLS {
    let certPath = "\(directory)/cert.pem", keyPath = "\(directory)/key.pem"
    let files = FileManager.default
    if !(files.fileExists(atPath: certPath) && files.fileExists(atPath: keyPath)) {
      do {
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                  attributes: [.posixPermissions: 0o700])
        let ca = try CertificateAuthority.generate(commonName: "\(commonName) auto-tls CA")
        var ips: [String] = [], names: [String] = []
        for host in hosts where !host.isEmpty {
          if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) { ips.append(host) } else { names.append(host) }
        }
        let issued = try ca.issue(CertificateRequest(profile: .server, commonName: commonName, dnsNames: names, ipAddresses: ips))
        try SecureFiles.writeAtomically(issued.privateKeyPEM, to: keyPath, mode: 0o600)
        try SecureFiles.writeAtomically(issued.certificatePEM + ca.certificatePEM, to: certPath, mode: 0o644)
      } catch let error as EtcdAPIError {
        throw error
      } catch {
        throw EtcdAPIError.tlsFile(path: directory, role: "auto-tls", message: "\(error)")
      }
    }
    return ListenerTLS(certFile: certPath, keyFile: keyPath, cipherSuites: cipherSuites)
  }

  /// Builds the server TLS context. Throws ``EtcdAPIError`` naming the file or cipher suite at fault.
  func makeContext() throws(EtcdAPIError) -> NIOSSLContext {
    let chain: [NIOSSLCertificate]
    do { chain = try NIOSSLCertificate.fromPEMFile(certFile) } catch {
      throw .tlsFile(path: certFile, role: "certificate", message: "\(error)")
    }
    let key: NIOSSLPrivateKey
    do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
      throw .tlsFile(path: keyFile, role: "key", message: "\(error)")
    }
    var config = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    config.minimumTLSVersion = .tlsv12
    config.applicationProtocols = Self.applicationProtocols
    if !cipherSuites.isEmpty { config.cipherSuiteValues = try Self.ciphers(named: cipherSuites) }
    if let trustedCAFile {
      do { _ = try NIOSSLCertificate.fromPEMFile(trustedCAFile) } catch {
        throw .tlsFile(path: trustedCAFile, role: "trusted CA", message: "\(error)")
      }
      config.trustRoots = .file(trustedCAFile)
    }
    if clientCertAuth {
      config.certificateVerification = .noHostnameVerification
      if trustedCAFile == nil { config.trustRoots = .default }
    } else {
      config.certificateVerification = .none
    }
    do { return try NIOSSLContext(configuration: config) } catch {
      throw .tlsFile(path: certFile, role: "certificate/key pair", message: "\(error)")
    }
  }

  /// Maps etcd's (Go's) cipher suite names to TLS cipher values. TLS 1.3 suites are always on and not listed.
  static func ciphers(named names: [String]) throws(EtcdAPIError) -> [NIOTLSCipher] {
    var result: [NIOTLSCipher] = []
    for name in names {
      guard let cipher = cipherTable[name] else { throw .unknownCipherSuite(name) }
      result.append(cipher)
    }
    return result
  }

  /// Go's names (as etcd accepts them) for the suites BoringSSL implements.
  static let cipherTable: [String: NIOTLSCipher] = [
    "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
    "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
    "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
    "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  ]
}
