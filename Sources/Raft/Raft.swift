// Module Raft: the pure, deterministic Raft consensus state machine (RawNode, Ready, log, progress, quorum, conf changes). No IO, no wall clock, no global randomness.
// It holds no code yet: issue 5 builds it.
