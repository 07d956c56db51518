@testable import EtcdServer
import Testing

/// etcd 3.4's strict reconfiguration connectivity rule, read from the local member's peer streams: a voter counts as
/// connected once its stream has been up for 5 s.
@Suite struct ReconfigurationHealthTests {
  static let now = ContinuousClock.now
  static let settled = now - .seconds(6)
  static let fresh = now - .seconds(2)

  static func health(
    voters: [UInt64] = [1, 2, 3], _ activeSince: [UInt64: ContinuousClock.Instant]
  ) -> ReconfigurationHealth {
    ReconfigurationHealth(localID: 1, voters: voters, activeSince: activeSince, now: now)
  }

  @Test func addNeedsEveryOtherVoterConnectedForFiveSeconds() {
    #expect(Self.health([2: Self.settled, 3: Self.settled]).allowsAdd)
    #expect(!Self.health([2: Self.settled, 3: Self.fresh]).allowsAdd, "a stream up for 2 s does not count yet")
    #expect(!Self.health([2: Self.settled]).allowsAdd, "a voter whose stream is down")
    #expect(Self.health(voters: [1], [:]).allowsAdd, "a lone voter is connected to everyone it needs")
  }

  @Test func aVoterWhoseStreamIsDownMayAlwaysBeRemoved() {
    #expect(Self.health([2: Self.settled]).allowsRemove(3))
    #expect(Self.health([:]).allowsRemove(3), "not part of the reachable quorum, so removing it cannot break it")
  }

  @Test func removingAConnectedVoterMustLeaveAReachableQuorum() {
    // 3 voters, 3 connected: removing one leaves 2 of the 2 needed.
    #expect(Self.health([2: Self.settled, 3: Self.settled]).allowsRemove(2))
    // 3 voters with 3 down: removing 2 would leave 1 and 3, with only 1 reachable.
    #expect(!Self.health([2: Self.settled]).allowsRemove(2))
    // A stream that just came up counts as active for the removed member but not as connected.
    #expect(!Self.health([2: Self.fresh, 3: Self.fresh]).allowsRemove(2))
    // Removing itself counts itself as the one that goes.
    #expect(Self.health([2: Self.settled, 3: Self.settled]).allowsRemove(1))
    #expect(!Self.health([2: Self.settled]).allowsRemove(1))
  }

  @Test func fiveVotersToleratesOneUnreachableWhenRemovingAnother() {
    let voters: [UInt64] = [1, 2, 3, 4, 5]
    // 4 of 5 connected (5 down); removing 2 leaves 1, 3, 4 reachable of 4 voters: quorum 3 holds.
    #expect(Self.health(voters: voters, [2: Self.settled, 3: Self.settled, 4: Self.settled]).allowsRemove(2))
    // 3 of 5 connected (4 and 5 down); removing 2 leaves 1 and 3 of 4 voters: quorum 3 breaks.
    #expect(!Self.health(voters: voters, [2: Self.settled, 3: Self.settled]).allowsRemove(2))
  }
}
