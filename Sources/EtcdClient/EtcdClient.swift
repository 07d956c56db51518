// Module EtcdClient: the Swift etcd client (endpoints, failover, auth token, TLS) used by EtcdCtl and Ops. Never imports server modules.
// It holds no code yet: issue 3 builds it.
