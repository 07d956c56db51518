// Module PKI: CA and member certificates (swift-certificates, swift-crypto), used by Ops and --auto-tls.
// It holds no code yet: issue 3 builds it.
