import EtcdClient
import Foundation
import Testing
import TestSupport

/// Membership changes and leader transfer against a real three-member etcd 3.4 cluster on loopback. Serialized:
/// several clusters at once on two cores make elections flap.
@Suite(.serialized, .enabled(if: RealEtcd.isInstalled, "etcd 3.4 is not installed; run scripts/setup (Debian etcd-server, etcd-client)"))
struct RealEtcdMembershipTests {
  @Test func addedLearnerJoinsAndIsPromotedToVoterOnceInSync() async throws {
    try await withRealCluster { cluster, client in
      let connection = client.connections[0]
      let peerURL = cluster.newPeerURL()
      let (added, members) = try await whenReconfigurable { try await connection.memberAdd(peerURLs: [peerURL], isLearner: true) }
      #expect(added.isLearner && !added.isStarted && added.peerURLs == [peerURL])
      #expect(members.count == 4 && members.contains(added))

      let initialCluster = initialClusterFlag(forNewMember: added.id, named: "learner", in: members)
      #expect(Set(initialCluster.split(separator: ",")) == Set((cluster.initialCluster + ",learner=\(peerURL)").split(separator: ",")))
      let learner = try await cluster.startJoiningMember(name: "learner", initialCluster: initialCluster)
      let learnerConnection = try EtcdConnection(endpoint: EtcdEndpoint(parsing: learner.clientURL))

      let startedAsLearner = try await eventually(within: 20) {
        try await client.memberList().members.first { $0.id == added.id }.map { $0.isStarted && $0.isLearner } ?? false
      }
      #expect(startedAsLearner, "the learner should appear started and still a learner")
      #expect(try await learnerConnection.status().isLearner)

      // etcd refuses the promotion until the learner has caught up with the leader's log.
      let promoted = try await connection.memberPromote(id: added.id, retryingFor: .seconds(30))
      #expect(promoted.first { $0.id == added.id }?.isLearner == false)
      #expect(promoted.filter { !$0.isLearner }.count == 4)
      let votesNow = try await eventually(within: 10) { try await !learnerConnection.status().isLearner }
      #expect(votesNow, "the promoted member's own status should stop reporting it as a learner")
      #expect(try await learnerConnection.get("health").revision > 0, "a voter serves linearizable reads")
      await learnerConnection.close()
    }
  }

  @Test func promotingAnUnstartedLearnerIsRefusedAsNotInSync() async throws {
    try await withRealCluster(count: 1) { cluster, client in
      let (added, _) = try await client.connections[0].memberAdd(peerURLs: [cluster.newPeerURL()], isLearner: true)
      let error = await #expect(throws: EtcdClientError.self) { try await client.connections[0].memberPromote(id: added.id) }
      #expect(error?.isLearnerNotInSync == true, "\(String(describing: error))")
      #expect(error?.serverMessage == "etcdserver: can only promote a learner member which is in sync with leader")

      let start = ContinuousClock.now
      let retried = await #expect(throws: EtcdClientError.self) {
        try await client.connections[0].memberPromote(id: added.id, retryingFor: .seconds(2), every: .milliseconds(200))
      }
      #expect(retried?.isLearnerNotInSync == true, "after its deadline the retrying promote throws the last refusal")
      #expect(ContinuousClock.now - start >= .milliseconds(1500), "it should keep retrying until near its deadline")
    }
  }

  @Test func promotingAVoterIsRefusedWithEtcdsMessage() async throws {
    try await withRealCluster(count: 1) { _, client in
      let voter = try await client.memberList().members[0]
      let error = await #expect(throws: EtcdClientError.self) { try await client.connections[0].memberPromote(id: voter.id) }
      #expect(error?.serverMessage == "etcdserver: can only promote a learner member")
      #expect(error?.isLearnerNotInSync == false)
      #expect(error?.description.contains("MemberPromote: etcdserver: can only promote a learner member") == true)
    }
  }

  @Test func removedMemberLeavesTheMembershipAndItsProcessExits() async throws {
    try await withRealCluster { cluster, client in
      let leader = try #require(await client.leader())
      let list = try await client.memberList()
      let victim = try #require(list.members.first { $0.id != leader.memberID })
      let leaderConnection = try #require(await client.connection(toMember: leader.memberID))
      let remaining = try await whenReconfigurable { try await leaderConnection.memberRemove(id: victim.id) }
      #expect(remaining.count == 2 && !remaining.contains { $0.id == victim.id })

      let victimProcess = try #require(cluster.member(named: victim.name))
      let exited = try await offPool { victimProcess.waitForExit(timeout: 30) }
      #expect(exited, "etcd stops a member once it learns it was removed")
      let seenByLeader = try await leaderConnection.memberList()
      #expect(seenByLeader.members.map(\.id).sorted() == remaining.map(\.id).sorted())
    }
  }

  @Test func updatedPeerURLsAreWhatEveryMemberReports() async throws {
    try await withRealCluster { cluster, client in
      let leader = try #require(await client.leader())
      let members = try await client.memberList().members
      let follower = try #require(members.first { $0.id != leader.memberID })
      let newURL = cluster.newPeerURL()
      let updated = try await client.connections[0].memberUpdate(id: follower.id, peerURLs: [newURL])
      #expect(updated.first { $0.id == follower.id }?.peerURLs == [newURL])
      #expect(updated.count == 3)

      let everywhere = try await eventually(within: 10) {
        for connection in client.connections {
          let list = try await connection.memberList()
          if list.members.first(where: { $0.id == follower.id })?.peerURLs != [newURL] { return false }
        }
        return true
      }
      #expect(everywhere, "every member should report the new peer URL")

      let other = try #require(members.first { $0.id != follower.id })
      let error = await #expect(throws: EtcdClientError.self) {
        try await client.connections[0].memberUpdate(id: follower.id, peerURLs: other.peerURLs)
      }
      #expect(error?.serverMessage == "etcdserver: Peer URLs already exists")
    }
  }

  @Test func moveLeaderHandsLeadershipToTheChosenVoterWhileFollowersRefuseIt() async throws {
    try await withRealCluster { _, client in
      let leader = try #require(await client.leader())
      let members = try await client.memberList().members
      let target = try #require(members.first { $0.id != leader.memberID })

      let follower = try #require(await client.connection(toMember: target.id))
      let refused = await #expect(throws: EtcdClientError.self) { try await follower.moveLeader(to: target.id) }
      #expect(refused?.isNotLeader == true, "\(String(describing: refused))")
      #expect(refused?.serverMessage == "etcdserver: not leader")

      try await client.moveLeader(to: target.id)
      let allAgree = await eventually(within: 15) {
        let statuses = await client.statusOfAll()
        return statuses.allSatisfy { if case .success(let status) = $0 { status.leaderID == target.id } else { false } }
      }
      #expect(allAgree, "every member's Status should name the new leader")
      #expect(await client.leader()?.memberID == target.id)
    }
  }
}
