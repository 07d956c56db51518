import MVCC
import Testing

/// Auto-compaction decisions, fed with a simulated clock.
@Suite struct AutoCompactionPolicyTests {
  @Test func revisionModeCompactsToCurrentMinusRetentionEveryFiveMinutes() {
    var policy = AutoCompactionPolicy(mode: .revision(retention: 1000), start: .zero)
    #expect(policy.tick(now: .zero, currentRevision: 900) == nil)  // nothing old enough yet
    #expect(policy.tick(now: .seconds(299), currentRevision: 5000) == nil)  // not due
    #expect(policy.tick(now: .seconds(300), currentRevision: 5000) == 4000)
    policy.compacted(at: 4000, now: .seconds(300), succeeded: true)
    #expect(policy.tick(now: .seconds(600), currentRevision: 5000) == nil)  // the same target again
    #expect(policy.tick(now: .seconds(900), currentRevision: 5200) == 4200)
    policy.compacted(at: 4200, now: .seconds(900), succeeded: false)
    #expect(policy.tick(now: .seconds(1200), currentRevision: 5200) == 4200)  // retried
  }

  @Test func periodicModeCompactsToTheRevisionOfOneRetentionAgo() {
    // Retention 10 minutes: a sample every minute, the first compaction after 10 minutes, then every 10 minutes.
    var policy = AutoCompactionPolicy(mode: .periodic(retention: .seconds(600)), start: .zero)
    var decisions: [(minute: Int, revision: Int64)] = []
    for minute in 0...30 {
      let now = Duration.seconds(60 * minute)
      let revision = Int64(100 * minute + 1)  // 100 writes a minute
      if let target = policy.tick(now: now, currentRevision: revision) {
        decisions.append((minute, target))
        policy.compacted(at: target, now: now, succeeded: true)
      }
    }
    #expect(decisions.map(\.minute) == [10, 20, 30])
    // At each compaction the oldest sample kept is the revision of 10 minutes earlier.
    #expect(decisions.map(\.revision) == [1, 1001, 2001])
  }
}
