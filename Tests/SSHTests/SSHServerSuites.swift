import Testing

/// Parent of every suite that starts real sshd servers. Swift Testing runs all tests in parallel by default; 50
/// sshd processes with their key generation and handshakes at once would swamp a 2-core machine and make other
/// suites miss their deadlines, so these run one test at a time (`.serialized` applies to nested suites too).
@Suite(.serialized) enum SSHServerSuites {}
