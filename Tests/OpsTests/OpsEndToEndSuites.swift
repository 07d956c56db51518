import Testing

/// Every end-to-end suite of swetcd-ops nests here, so they run one at a time: each brings up its own test
/// hosts and a real cluster, and several at once on 2 cores starve each other (and the rest of the suite) into
/// timeouts.
@Suite(.serialized) enum OpsEndToEndSuites {}
