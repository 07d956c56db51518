// Module EtcdAPI: one thin adapter per gRPC service, the error-mapping table, JSON gateway, /health /version /metrics, shared gRPC+HTTP/1.1 listeners.
// It holds no code yet: issue 7 builds it.
