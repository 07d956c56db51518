// Module PeerTransport: peer streams between members, snapshot transfer, clock probing, cluster/member ID checks.
// It holds no code yet: issue 8 builds it.
