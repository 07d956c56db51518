import Foundation
import TestSupport

/// The real etcdctl (API 3) against a `ProcessCluster`, and the waits built on it; never blocks the pool.
extension ProcessCluster {
  /// Runs `etcdctl <arguments>` with `--endpoints` = the members' client URLs.
  func etcdctl(
    _ arguments: [String], on members: [ClusterMember], commandTimeout: String = "5s", timeout: Double = 30
  ) async throws -> ProcessOutput {
    guard let etcdctl = RealEtcd.etcdctl else { throw ClusterTestError("etcdctl is not installed (scripts/setup)") }
    let flags = ["--endpoints=\(members.map(\.clientURL).joined(separator: ","))", "--dial-timeout=2s",
                 "--command-timeout=\(commandTimeout)"]
    return try await ChildProcess.runDetached(etcdctl, flags + arguments, environment: ["ETCDCTL_API": "3"],
                                              timeout: timeout)
  }

  /// `etcdctl` that must succeed; returns its standard output.
  @discardableResult
  func etcdctlOK(_ arguments: [String], on members: [ClusterMember]) async throws -> String {
    let output = try await etcdctl(arguments, on: members)
    guard output.status == 0 else {
      throw ClusterTestError("etcdctl \(arguments.joined(separator: " ")) on \(members) failed (\(output.status)): "
        + "\(output.stderr)\(output.stdout)")
    }
    return output.stdout
  }

  /// Throws when the member's process has exited (a wait for it to serve would be in vain).
  func requireRunning(_ member: ClusterMember) throws {
    guard !member.isRunning else { return }
    throw ClusterTestError("\(member) exited (status \(member.exitStatus.map(String.init) ?? "?")) instead of serving")
  }

  /// A `member add|remove|update|promote` that must succeed, retried (30 s) while etcd answers "etcdserver:
  /// unhealthy cluster": with --strict-reconfig-check a change is refused until every voter has been connected for
  /// 5 s (etcd's HealthInterval), which a freshly started or joined cluster is not yet. Returns the standard output.
  @discardableResult
  func memberChange(_ arguments: [String], on members: [ClusterMember]) async throws -> String {
    var result: ProcessOutput?
    _ = try await eventually(within: 30, every: .milliseconds(500)) {
      let output = try await etcdctl(["member"] + arguments, on: members)
      result = output
      return output.status == 0 || !output.stderr.contains("etcdserver: unhealthy cluster")
    }
    guard let last = result, last.status == 0 else {
      throw ClusterTestError("etcdctl member \(arguments.joined(separator: " ")) on \(members) failed: "
        + "\(result?.stderr ?? "")\(result?.stdout ?? "")")
    }
    return last.stdout
  }

  /// Waits until `endpoint health` passes on every member given (60 s); throws with the logs otherwise.
  func waitUntilHealthy(_ members: [ClusterMember], within seconds: Double = 60) async throws {
    for member in members {
      let healthy = try await eventually(within: seconds, every: .milliseconds(250)) {
        try requireRunning(member)
        return try await etcdctl(["endpoint", "health"], on: [member]).status == 0
      }
      guard healthy else { throw ClusterTestError("\(member) is not healthy within \(Int(seconds)) s") }
    }
  }

  /// Waits until the member answers `endpoint status` (a learner does), 60 s.
  func waitUntilServing(_ member: ClusterMember, within seconds: Double = 60) async throws {
    let serving = try await eventually(within: seconds, every: .milliseconds(250)) {
      try requireRunning(member)
      return try await status(of: member) != nil
    }
    guard serving else { throw ClusterTestError("\(member) does not answer endpoint status within \(Int(seconds)) s") }
  }

  /// `member list -w json` through the given member.
  func memberList(via member: ClusterMember) async throws -> MemberListReply {
    let text = try await etcdctlOK(["member", "list", "-w", "json"], on: [member])
    return try JSONDecoder().decode(MemberListReply.self, from: Data(text.utf8))
  }

  /// The member's own `endpoint status -w json`, or nil when it does not answer.
  func status(of member: ClusterMember) async throws -> EndpointStatus? {
    let output = try await etcdctl(["endpoint", "status", "-w", "json"], on: [member], commandTimeout: "2s")
    guard output.status == 0 else { return nil }
    return try JSONDecoder().decode([EndpointStatusEntry].self, from: Data(output.stdout.utf8)).first?.status
  }

  /// The member every given member names as leader, when all answer and agree and it is one of them; else nil.
  func agreedLeader(among members: [ClusterMember]) async throws -> ClusterMember? {
    var leaders: Set<UInt64> = []
    var ids: [UInt64: ClusterMember] = [:]
    for member in members {
      guard let status = try await status(of: member), status.leader != 0 else { return nil }
      leaders.insert(status.leader)
      ids[status.header.memberID] = member
    }
    guard leaders.count == 1, let leader = leaders.first else { return nil }
    return ids[leader]
  }

  /// Waits (30 s) until the given members agree on a leader among them.
  func waitForLeader(among members: [ClusterMember], within seconds: Double = 30) async throws -> ClusterMember {
    var found: ClusterMember?
    _ = try await eventually(within: seconds, every: .milliseconds(100)) {
      found = try await agreedLeader(among: members)
      return found != nil
    }
    guard let found else { throw ClusterTestError("\(members) agree on no leader within \(Int(seconds)) s") }
    return found
  }

  /// Waits until every given member reports the same revision and raft applied index (60 s), then returns each
  /// member's `endpoint hashkv` at that revision.
  func convergedHashes(_ members: [ClusterMember], within seconds: Double = 60) async throws -> (revision: Int64, hashes: [UInt32]) {
    var revision: Int64 = 0
    let converged = try await eventually(within: seconds, every: .milliseconds(250)) {
      var revisions: Set<Int64> = [], applied: Set<UInt64> = []
      for member in members {
        guard let status = try await status(of: member) else { return false }
        revisions.insert(status.header.revision ?? 0)
        applied.insert(status.raftAppliedIndex)
      }
      revision = revisions.first ?? 0
      return revisions.count == 1 && applied.count == 1
    }
    guard converged else { throw ClusterTestError("\(members) did not converge on one revision within \(Int(seconds)) s") }
    var hashes: [UInt32] = []
    for member in members {
      let text = try await etcdctlOK(["endpoint", "hashkv", "--rev=\(revision)", "-w", "json"], on: [member])
      let entries = try JSONDecoder().decode([HashKVEntry].self, from: Data(text.utf8))
      guard let entry = entries.first else { throw ClusterTestError("no hashkv from \(member): \(text)") }
      hashes.append(entry.hashKV.hash)
    }
    return (revision, hashes)
  }

  /// `put key value` through `members`; true when acknowledged (`OK`).
  func put(_ key: String, _ value: String, on members: [ClusterMember], commandTimeout: String = "5s") async throws -> Bool {
    let output = try await etcdctl(["put", key, value], on: members, commandTimeout: commandTimeout)
    return output.status == 0 && output.stdout == "OK\n"
  }

  /// Writes `count` keys `<prefix>00000...` quickly with one etcdctl `txn` per 100 keys; returns the keys.
  @discardableResult
  func writeKeys(prefix: String, count: Int, on members: [ClusterMember]) async throws -> [String] {
    let keys = (0..<count).map { "\(prefix)\(String(format: "%05d", $0))" }
    for batch in stride(from: 0, to: count, by: 100) {
      let chunk = keys[batch..<min(batch + 100, count)]
      // An empty compare list always succeeds: the success branch puts the whole chunk in one request.
      let input = "\n" + chunk.map { "put \($0) value-of-\($0)" }.joined(separator: "\n") + "\n\n\n"
      guard let etcdctl = RealEtcd.etcdctl else { throw ClusterTestError("etcdctl is not installed") }
      let output = try await offPool {
        try ChildProcess.run(etcdctl, ["--endpoints=\(members.map(\.clientURL).joined(separator: ","))",
                                       "--command-timeout=10s", "txn"],
                             environment: ["ETCDCTL_API": "3"], timeout: 30, input: input)
      }
      guard output.status == 0, output.stdout.hasPrefix("SUCCESS") else {
        throw ClusterTestError("txn writing \(chunk.first!)... failed (\(output.status)): \(output.stderr)\(output.stdout)")
      }
    }
    return keys
  }

  /// The keys under `prefix` the member holds, read serializably from it alone (what it has applied).
  func localKeys(prefix: String, on member: ClusterMember) async throws -> Set<String> {
    let text = try await etcdctlOK(["get", prefix, "--prefix", "--keys-only", "--consistency=s"], on: [member])
    return Set(text.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
  }
}

// MARK: etcdctl's JSON (Go's encoding of etcdserverpb messages: uint64 as numbers, empty fields left out)

struct ResponseHeader: Decodable {
  let clusterID: UInt64
  let memberID: UInt64
  let revision: Int64?
  enum CodingKeys: String, CodingKey {
    case clusterID = "cluster_id", memberID = "member_id", revision
  }
}

struct MemberListReply: Decodable {
  struct Member: Decodable {
    let id: UInt64
    let name: String?
    let peerURLs: [String]?
    let clientURLs: [String]?
    let isLearner: Bool?
    enum CodingKeys: String, CodingKey { case id = "ID", name, peerURLs, clientURLs, isLearner }
  }
  let header: ResponseHeader
  let members: [Member]
}

struct EndpointStatus: Decodable {
  let header: ResponseHeader
  let version: String
  /// 0 when the member knows no leader (Go leaves zero fields out).
  var leader: UInt64 { leaderField ?? 0 }
  var raftAppliedIndex: UInt64 { raftAppliedIndexField ?? 0 }
  var raftTerm: UInt64 { raftTermField ?? 0 }
  let isLearner: Bool?
  private let leaderField: UInt64?
  private let raftAppliedIndexField: UInt64?
  private let raftTermField: UInt64?
  enum CodingKeys: String, CodingKey {
    case header, version, isLearner, leaderField = "leader", raftAppliedIndexField = "raftAppliedIndex"
    case raftTermField = "raftTerm"
  }
}

struct EndpointStatusEntry: Decodable {
  let endpoint: String
  let status: EndpointStatus
  enum CodingKeys: String, CodingKey { case endpoint = "Endpoint", status = "Status" }
}

struct HashKVEntry: Decodable {
  struct HashKV: Decodable {
    let header: ResponseHeader
    let hash: UInt32
  }
  let endpoint: String
  let hashKV: HashKV
  enum CodingKeys: String, CodingKey { case endpoint = "Endpoint", hashKV = "HashKV" }
}

/// An etcd ID as etcdctl prints it in tables and takes as an argument (Go's `%x`: lower-case hex, no padding).
func hexID(_ id: UInt64) -> String { String(id, radix: 16) }

/// An etcd ID as etcdctl's `member add|remove|update` messages print it (Go's `%16x`: padded with spaces).
func paddedHexID(_ id: UInt64) -> String {
  let hex = hexID(id)
  return String(repeating: " ", count: max(0, 16 - hex.count)) + hex
}
