// The server's errors. Client-facing cases carry etcd's exact text (clients match on it); the API layer maps each
// to its gRPC status code through `ServerError.code`.

import MVCC

/// An error a member reports to a client or to its operator.
public enum ServerError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A store refusal (compacted, future revision, key not found, lease, txn, quota...).
  case store(MVCCError)
  /// No leader is known (etcd: "etcdserver: no leader").
  case noLeader
  /// The request was proposed but not applied in time (etcd: "etcdserver: request timed out").
  case timeout
  /// The server is stopping or stopped.
  case stopped
  /// The applied index lags the committed index by more than 5,000 entries (etcd: "etcdserver: too many requests").
  case tooManyRequests
  /// The request is larger than --max-request-bytes.
  case requestTooLarge
  /// A Raft entry this member cannot decode: its log is damaged or was written by something else.
  case corruptEntry(String)
  /// A bug or an impossible state; the text says what happened.
  case internalError(String)
  /// The data dir, WAL or store could not be opened or written.
  case storage(String)
  /// The client canceled the call while it waited.
  case canceled
  /// An election or lock refusal with etcd's text ("election: not leader", "election: no leader").
  case election(String)
  /// A malformed request refused before it reaches the member, with etcd's text ("etcdserver: key is not provided").
  case invalidRequest(String)
  /// MoveLeader to a member that cannot take over (etcd: "etcdserver: bad leader transferee").
  case badLeaderTransferee
  /// MoveLeader on a member that is not the leader (etcd: "etcdserver: not leader").
  case notLeader
  /// The transferee did not take over in time (etcd: "etcdserver: request timed out, leader transfer took too long").
  case leaderTransferTimeout
  /// An auth refusal (etcd's text: "etcdserver: permission denied", "etcdserver: invalid auth token", ...).
  case auth(AuthError)
  /// A membership refusal (etcd's text: "etcdserver: member not found", ...).
  case membership(MembershipError)
  /// The leader changed while a linearizable read waited (etcd: "etcdserver: leader changed").
  case leaderChanged
  /// MemberPromote reached a follower: only the leader (`leader`, 0 when unknown) knows whether the learner is in
  /// sync, so the API layer forwards the call there (etcd forwards it over the peer port); never sent to a client.
  case promoteNeedsLeader(leader: UInt64)

  /// The gRPC status code etcd uses for this error.
  public var code: StatusCode {
    switch self {
    case .store(let error):
      switch error {
      case .compacted, .futureRevision, .leaseTTLTooLarge: return .outOfRange
      case .keyNotFound, .duplicateKeyInTxn, .tooManyTxnOps: return .invalidArgument
      case .leaseNotFound: return .notFound
      case .leaseExists: return .failedPrecondition
      case .noSpace: return .resourceExhausted
      case .leaseNotPrimary, .leaseExpired: return .unavailable
      case .backend, .corrupt: return .dataLoss
      }
    case .noLeader, .timeout, .stopped: return .unavailable
    case .tooManyRequests: return .resourceExhausted
    case .requestTooLarge: return .invalidArgument
    case .corruptEntry: return .dataLoss
    case .internalError, .storage: return .internal
    case .canceled: return .canceled
    case .election: return .unknown
    case .invalidRequest: return .invalidArgument
    case .badLeaderTransferee: return .failedPrecondition
    case .notLeader: return .failedPrecondition
    case .leaderTransferTimeout: return .unavailable
    case .auth(let error): return error.code
    case .membership(let error): return error.code
    case .leaderChanged: return .unavailable
    case .promoteNeedsLeader: return .unavailable
    }
  }

  /// etcd's client-facing text ("etcdserver: ..."), or a full explanation with a remedy for the operator cases.
  public var description: String {
    switch self {
    case .store(let error):
      switch error {
      case .backend, .corrupt: return error.description
      default: return "etcdserver: " + error.description
      }
    case .noLeader: return "etcdserver: no leader"
    case .timeout: return "etcdserver: request timed out"
    case .stopped: return "etcdserver: server stopped"
    case .tooManyRequests: return "etcdserver: too many requests"
    case .requestTooLarge: return "etcdserver: request is too large"
    case .corruptEntry(let why):
      return "corrupt Raft entry: \(why); this member's log is damaged: restore it from a backup or remove it from "
        + "the cluster and add it back with an empty data dir"
    case .internalError(let why): return "internal error: \(why)"
    case .storage(let why): return why
    case .canceled: return "context canceled"
    case .election(let text), .invalidRequest(let text): return text
    case .badLeaderTransferee: return "etcdserver: bad leader transferee"
    case .notLeader: return "etcdserver: not leader"
    case .leaderTransferTimeout: return "etcdserver: request timed out, leader transfer took too long"
    case .auth(let error): return error.description
    case .membership(let error): return error.description
    case .leaderChanged: return "etcdserver: leader changed"
    case .promoteNeedsLeader: return "etcdserver: not leader"
    }
  }
}

/// The gRPC status codes etcd's errors use (the API layer turns them into grpc-swift's codes).
public enum StatusCode: Int, Sendable {
  case invalidArgument = 3
  case notFound = 5
  case failedPrecondition = 9
  case outOfRange = 11
  case resourceExhausted = 8
  case unavailable = 14
  case dataLoss = 15
  case `internal` = 13
  case permissionDenied = 7
  case unauthenticated = 16
  case deadlineExceeded = 4
  case canceled = 1
  case unknown = 2
}
