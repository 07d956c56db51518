// The KV store's requests and responses: etcd's RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest and their
// responses, as plain Swift values (the API layer maps protobuf to these). Field names follow etcd's.

/// How Range sorts (etcd's RangeRequest.SortOrder).
public enum SortOrder: Int, Hashable, Sendable {
  case none = 0, ascend = 1, descend = 2
}

/// What Range sorts by (etcd's RangeRequest.SortTarget).
public enum SortTarget: Int, Hashable, Sendable {
  case key = 0, version = 1, create = 2, mod = 3, value = 4
}

/// etcd's RangeRequest.
public struct RangeRequest: Hashable, Sendable {
  public var key: [UInt8]
  public var rangeEnd: [UInt8]
  /// At most this many keys (0 = no limit); `more` says whether there were more.
  public var limit: Int64
  /// The store revision to read at (0 = current).
  public var revision: Int64
  public var sortOrder: SortOrder
  public var sortTarget: SortTarget
  public var keysOnly: Bool
  public var countOnly: Bool
  public var minModRevision: Int64
  public var maxModRevision: Int64
  public var minCreateRevision: Int64
  public var maxCreateRevision: Int64

  /// Creates a range request; every field defaults to etcd's zero value.
  public init(
    key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Int64 = 0, sortOrder: SortOrder = .none,
    sortTarget: SortTarget = .key, keysOnly: Bool = false, countOnly: Bool = false, minModRevision: Int64 = 0,
    maxModRevision: Int64 = 0, minCreateRevision: Int64 = 0, maxCreateRevision: Int64 = 0
  ) {
    self.key = key
    self.rangeEnd = rangeEnd
    self.limit = limit
    self.revision = revision
    self.sortOrder = sortOrder
    self.sortTarget = sortTarget
    self.keysOnly = keysOnly
    self.countOnly = countOnly
    self.minModRevision = minModRevision
    self.maxModRevision = maxModRevision
    self.minCreateRevision = minCreateRevision
    self.maxCreateRevision = maxCreateRevision
  }
}

/// etcd's RangeResponse (the header reduced to its revision).
public struct RangeResponse: Hashable, Sendable {
  /// The store revision when the read ran (etcd's header.revision), also for reads at an older revision.
  public var revision: Int64
  public var kvs: [KeyValue]
  /// True when `limit` cut the result.
  public var more: Bool
  /// Keys in the range at the read revision (before limit and revision filters).
  public var count: Int64
}

/// etcd's PutRequest.
public struct PutRequest: Hashable, Sendable {
  public var key: [UInt8]
  public var value: [UInt8]
  public var lease: Int64
  public var prevKV: Bool
  public var ignoreValue: Bool
  public var ignoreLease: Bool

  /// Creates a put request.
  public init(
    key: [UInt8], value: [UInt8] = [], lease: Int64 = 0, prevKV: Bool = false, ignoreValue: Bool = false,
    ignoreLease: Bool = false
  ) {
    self.key = key
    self.value = value
    self.lease = lease
    self.prevKV = prevKV
    self.ignoreValue = ignoreValue
    self.ignoreLease = ignoreLease
  }
}

/// etcd's PutResponse.
public struct PutResponse: Hashable, Sendable {
  public var revision: Int64
  public var prevKV: KeyValue?
}

/// etcd's DeleteRangeRequest.
public struct DeleteRangeRequest: Hashable, Sendable {
  public var key: [UInt8]
  public var rangeEnd: [UInt8]
  public var prevKV: Bool

  /// Creates a delete request.
  public init(key: [UInt8], rangeEnd: [UInt8] = [], prevKV: Bool = false) {
    self.key = key
    self.rangeEnd = rangeEnd
    self.prevKV = prevKV
  }
}

/// etcd's DeleteRangeResponse.
public struct DeleteRangeResponse: Hashable, Sendable {
  public var revision: Int64
  public var deleted: Int64
  public var prevKVs: [KeyValue]
}

/// One comparison of a Txn (etcd's Compare).
public struct Compare: Hashable, Sendable {
  /// etcd's Compare.CompareResult.
  public enum Result: Int, Hashable, Sendable {
    case equal = 0, greater = 1, less = 2, notEqual = 3
  }

  /// etcd's Compare.CompareTarget with the value compared against.
  public enum Target: Hashable, Sendable {
    case version(Int64)
    case create(Int64)
    case mod(Int64)
    case value([UInt8])
    case lease(Int64)
  }

  public var result: Result
  public var target: Target
  public var key: [UInt8]
  public var rangeEnd: [UInt8]

  /// Creates a comparison.
  public init(key: [UInt8], rangeEnd: [UInt8] = [], target: Target, result: Result) {
    self.key = key
    self.rangeEnd = rangeEnd
    self.target = target
    self.result = result
  }
}

/// One operation of a Txn branch (etcd's RequestOp).
public indirect enum RequestOp: Hashable, Sendable {
  case range(RangeRequest)
  case put(PutRequest)
  case deleteRange(DeleteRangeRequest)
  case txn(TxnRequest)
}

/// The result of one Txn operation (etcd's ResponseOp).
public indirect enum ResponseOp: Hashable, Sendable {
  case range(RangeResponse)
  case put(PutResponse)
  case deleteRange(DeleteRangeResponse)
  case txn(TxnResponse)
}

/// etcd's TxnRequest.
public struct TxnRequest: Hashable, Sendable {
  public var compare: [Compare]
  public var success: [RequestOp]
  public var failure: [RequestOp]

  /// Creates a transaction.
  public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
    self.compare = compare
    self.success = success
    self.failure = failure
  }
}

/// etcd's TxnResponse.
public struct TxnResponse: Hashable, Sendable {
  /// The store revision after the transaction (0 for a nested transaction, as etcd 3.4 leaves its header empty).
  public var revision: Int64
  public var succeeded: Bool
  public var responses: [ResponseOp]
}

/// etcd's CompactionResponse.
public struct CompactResponse: Hashable, Sendable {
  public var revision: Int64
}
