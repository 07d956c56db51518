// gRPC transport security for peers: the https server side and the dialing side, from PeerTLSSettings.
import Foundation
import GRPCNIOTransportHTTP2
import X509

extension PeerTLSSettings {
  /// Checks that every configured file is readable, so errors name the file before any connection is tried.
  func validate() throws(PeerTransportError) {
    for (path, role) in [(certFile, "certificate"), (keyFile, "key"), (trustedCAFile, "trusted CA")] where !path.isEmpty {
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw .tlsFile(path: path, role: role, message: "the file does not exist or cannot be read")
      }
    }
    guard certFile.isEmpty == keyFile.isEmpty else {
      throw .tlsFile(path: certFile.isEmpty ? keyFile : certFile, role: "certificate/key pair",
                     message: "a certificate and its key go together: give both files or neither")
    }
  }

  /// The listener's TLS: client certificates are required and verified with client-cert-auth (unless auto TLS).
  var serverSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
    .tls(certificateChain: [.file(path: certFile, format: .pem)], privateKey: .file(path: keyFile, format: .pem)) {
      config in
      if clientCertAuth && !skipVerify {
        config.clientCertificateVerification = .noHostnameVerification
        if !trustedCAFile.isEmpty { config.trustRoots = .certificates([.file(path: trustedCAFile, format: .pem)]) }
      } else {
        config.clientCertificateVerification = .noVerification
      }
    }
  }

  /// The dialing side: presents the certificate (if any) and verifies the peer's unless auto TLS.
  var clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity {
    .tls(.defaults { config in
      if !certFile.isEmpty {
        config.certificateChain = [.file(path: certFile, format: .pem)]
        config.privateKey = .file(path: keyFile, format: .pem)
      }
      if !trustedCAFile.isEmpty { config.trustRoots = .certificates([.file(path: trustedCAFile, format: .pem)]) }
      if skipVerify { config.serverCertificateVerification = .noVerification }
    })
  }

  /// Whether the verified client certificate of a call satisfies `allowedCN` (always true when it is empty).
  func allows(_ certificate: Certificate?) -> Bool {
    guard !allowedCN.isEmpty else { return true }
    guard let certificate else { return false }
    for rdn in certificate.subject {
      for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
        if String(attribute.value) == allowedCN { return true }
      }
    }
    return false
  }
}
